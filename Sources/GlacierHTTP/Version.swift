/// The one version number: `glacier-mock --version` prints it, the dashboard shows it, SNS
/// requests carry it in their User-Agent, and the Makefile reads it from this line
/// (`make version`, `make dist`'s tarball name, `make image`'s label); the container image's
/// `org.opencontainers.image.version` label is checked against the binary's `--version` while
/// the image is built (docker/Dockerfile). It lives in GlacierHTTP, the lowest module that
/// shows it, so that the dashboard and the command line read the same constant.
public let glacierMockVersion = "0.1.0"
