// bench-floor: the HTTP stack glacier-mock is built on, with nothing of glacier-mock in it.
// One route answers GET /-/vaults/{name} with a constant DescribeVault-shaped JSON document
// and the same response headers glacier-mock sends, on the same Hummingbird, SwiftNIO and
// executor set-up (Swift concurrency on NIO's event loops). `make bench` measures it under
// the same wrk load as DescribeVault: the figure is what this machine allows that stack
// before any Glacier work (bench/GAPS.md, target 3). Usage: bench-floor --port N
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

let arguments = CommandLine.arguments
let port = arguments.firstIndex(of: "--port").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? 9902
let body = ByteBuffer(string: """
    {"CreationDate":"2026-11-22T07:15:51.004Z","LastInventoryDate":null,"NumberOfArchives":0,"SizeInBytes":0,\
    "VaultARN":"arn:aws:glacier:us-east-1:123456789012:vaults/v","VaultName":"v"}
    """)
let requestIDHeader = HTTPField.Name("x-amzn-RequestId")!
let router = Router()
router.get("/-/vaults/:name") { _, _ in
    Response(
        status: .ok,
        headers: [.contentType: "application/json", requestIDHeader: "RsDZACZmt3JC-B2N8oIGhQ6Y47fP54Aequ5gZKKiYPYCRNR"],
        body: .init(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
