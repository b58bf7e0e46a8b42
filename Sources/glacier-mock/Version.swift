/// The one version number: `glacier-mock --version` prints it, the Makefile reads it from
/// this line (`make version`, `make dist`'s tarball name, `make image`'s label) and the
/// container image's `org.opencontainers.image.version` label is checked against the
/// binary's `--version` while the image is built (docker/Dockerfile).
let glacierMockVersion = "0.1.0"
