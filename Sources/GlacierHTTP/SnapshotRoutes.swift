import GlacierDomain
import HTTPTypes
import Hummingbird

/// The snapshot endpoints (docs/seeds-and-snapshots.md):
/// `POST /_mock/snapshots` `{"Name": "baseline"}` saves the whole state, `GET /_mock/snapshots`
/// lists the saved ones with their sizes, `POST /_mock/snapshots/NAME/restore` brings one back
/// (and clears the request journal), `DELETE /_mock/snapshots/NAME` drops one.
extension AdminRoutes {
    static let snapshotEndpoints = "POST or GET /_mock/snapshots, POST /_mock/snapshots/NAME/restore, DELETE /_mock/snapshots/NAME"

    /// The answer when `request` is a snapshot endpoint, else nil.
    func snapshotResponse(to request: Request) async throws -> Response? {
        let path = request.uri.path
        guard path == "/_mock/snapshots" || path.hasPrefix("/_mock/snapshots/") else { return nil }
        let rest = path.dropFirst("/_mock/snapshots".count)
        switch (request.method, rest.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)) {
        case (.post, []):
            let object = try JSONInput.object(
                try await OperationInput.smallBody(of: request, named: "POST /_mock/snapshots"), what: "{\"Name\": \"...\"}")
            if let unknown = object.keys.sorted().first(where: { $0 != "Name" }) {
                throw GlacierError.invalid("Unknown member '\(unknown.prefix(100))' of POST /_mock/snapshots; the only member is Name")
            }
            guard let name = try JSONInput.string(object, "Name") else { throw GlacierError.missingHeader("Name") }
            let info = try await service.saveSnapshot(name: name)
            return Self.json(.object([("status", .string("ok")), ("Snapshot", Self.describe(info))]))
        case (.get, []):
            return Self.json(.object([("Snapshots", .array(try service.listSnapshots().map(Self.describe)))]))
        case (.post, let parts) where parts.count == 2 && parts[1] == "restore":
            try await service.restoreSnapshot(name: parts[0])
            journal.clear()
            return Self.json(.object([("status", .string("ok")), ("Restored", .string(parts[0]))]))
        case (.delete, let parts) where parts.count == 1:
            try await service.deleteSnapshot(name: parts[0])
            return Self.json(.object([("status", .string("ok")), ("Deleted", .string(parts[0]))]))
        default:
            throw GlacierError(
                .unknownOperation,
                "No glacier-mock endpoint matches \(request.method.rawValue) \(path.prefix(300)); the snapshot endpoints are \(Self.snapshotEndpoints)")
        }
    }

    static func describe(_ info: GlacierService.SnapshotInfo) -> JSONValue {
        .object([
            ("Name", .string(info.name)), ("SavedAt", .string(Timestamp.iso8601(info.savedAt))),
            ("MetadataBytes", .int(info.metadataBytes)),
            ("SharedBlobBytes", .int(info.summary.blobBytes)), ("SharedBlobFiles", .int(info.summary.blobs)),
            ("Vaults", .int(info.summary.vaults)), ("Archives", .int(info.summary.archives)),
            ("ArchiveBytes", .int(info.summary.archiveBytes)), ("MultipartUploads", .int(info.summary.uploads)),
            ("Jobs", .int(info.summary.jobs)),
        ])
    }

    /// `POST /_mock/reset`'s optional body: `{"Snapshots": true}` also deletes every snapshot.
    static func resetDropsSnapshots(_ request: Request) async throws -> Bool {
        let body = try await OperationInput.smallBody(of: request, named: "POST /_mock/reset")
        guard !body.isEmpty else { return false }
        let object = try JSONInput.object(body, what: "{\"Snapshots\": true} or no body")
        if let unknown = object.keys.sorted().first(where: { $0 != "Snapshots" }) {
            throw GlacierError.invalid("Unknown member '\(unknown.prefix(100))' of POST /_mock/reset; the only member is Snapshots")
        }
        switch object["Snapshots"] {
        case nil: return false
        case let flag as Bool: return flag
        default: throw GlacierError.invalid("Snapshots must be true or false")
        }
    }
}
