// swift-tools-version:6.1
import PackageDescription

// The flow, one module each (see ARCHITECTURE.md):
//   glacier-mock (CLI) → GlacierHTTP → GlacierDomain → GlacierStorage,
//   with TreeHash (over the system's libcrypto, COpenSSL, and CSHA256Pair for the upload
//   path's paired hashes) as a leaf library.
// Our async functions run on their caller's executor (SE-0461) instead of hopping to the
// global executor at every call: on NIO's event loops each such hop is an enqueue and a
// dequeue (ARCHITECTURE.md, "Threads").
let nonsending: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "glacier-mock",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "glacier-mock", targets: ["glacier-mock"]),
        .library(name: "TreeHash", targets: ["TreeHash"]),
    ],
    dependencies: [
        // Traits off: we need neither swift-configuration nor the full-Foundation extras,
        // and leaving them out shortens a clean build.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Already in Hummingbird's graph; named because the HTTP layer imports them directly.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Two SHA-256 streams over the same blocks in one pass (SHA-NI); see ARCHITECTURE.md.
        .target(name: "CSHA256Pair"),
        .target(name: "TreeHash", dependencies: ["COpenSSL", "CSHA256Pair"]),
        .target(
            name: "GlacierStorage",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the inventory writer's column reads (MetadataStore+Inventory.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: nonsending
        ),
        .target(
            name: "GlacierDomain",
            dependencies: [
                "TreeHash", "GlacierStorage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: nonsending
        ),
        .target(
            name: "GlacierHTTP",
            dependencies: [
                "GlacierDomain", "TreeHash",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            swiftSettings: nonsending
        ),
        .executableTarget(
            name: "glacier-mock",
            dependencies: [
                "GlacierHTTP", "GlacierDomain", "TreeHash",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: nonsending
        ),
        // `make bench` only: the HTTP stack alone, for the DescribeVault comparison (bench/floor/main.swift).
        .executableTarget(
            name: "bench-floor",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/floor"
        ),
        .testTarget(name: "TreeHashTests", dependencies: ["TreeHash", "CSHA256Pair"]),
        .testTarget(name: "GlacierDomainTests", dependencies: ["GlacierDomain"]),
        .testTarget(name: "GlacierStorageTests", dependencies: ["GlacierStorage", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "GlacierHTTPTests",
            dependencies: [
                "GlacierHTTP", "GlacierDomain", "TreeHash",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
