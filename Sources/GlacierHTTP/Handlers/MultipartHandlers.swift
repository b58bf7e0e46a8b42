import GlacierDomain
import GlacierStorage
import HTTPTypes
import Hummingbird

extension ByteBuffer: ByteChunk {}

/// The six multipart-upload operations.
enum MultipartHandlers {
    static func register(_ service: GlacierService, into table: inout [OperationName: OperationHandler]) {
        table[.initiateMultipartUpload] = { input, context in
            let (vault, uploadID) = try await service.initiateMultipartUpload(
                context.caller, vaultName: input.path("vaultName"),
                partSize: input.value("partSize"), description: input.value("archiveDescription"))
            return OperationOutput(headers: ["location": "\(vault.location)/multipart-uploads/\(uploadID)", "uploadId": uploadID])
        }
        table[.uploadMultipartPart] = { input, context in
            let headers = GlacierService.PartHeaders(
                contentRange: input.value("range"),
                treeHash: input.value("checksum"),
                contentSHA256: input.request.headers[.amzContentSHA256],
                contentLength: input.request.headers[.contentLength].flatMap { Int64($0) })
            let treeHash = try await service.uploadPart(
                context.caller, vaultName: input.path("vaultName"), uploadID: input.path("uploadId"),
                headers: headers, body: input.body)
            return OperationOutput(headers: ["checksum": treeHash.hex])
        }
        table[.completeMultipartUpload] = { input, context in
            let (vault, archive) = try await service.completeMultipartUpload(
                context.caller, vaultName: input.path("vaultName"), uploadID: input.path("uploadId"),
                archiveSize: input.value("archiveSize"), treeHash: input.value("checksum"))
            return .archiveCreated(vault, archive)
        }
        table[.abortMultipartUpload] = { input, context in
            try await service.abortMultipartUpload(context.caller, vaultName: input.path("vaultName"), uploadID: input.path("uploadId"))
            return OperationOutput()
        }
        table[.listParts] = { input, context in
            let list = try await service.listParts(
                context.caller, vaultName: input.path("vaultName"), uploadID: input.path("uploadId"),
                marker: input.value("marker"), limit: input.value("limit"))
            return OperationOutput(json: .object([
                ("ArchiveDescription", .optional(list.upload.description)),
                ("CreationDate", .string(Timestamp.iso8601(list.upload.creationDate))),
                ("Marker", .optional(list.marker)),
                ("MultipartUploadId", .string(list.upload.id)),
                ("PartSizeInBytes", .int(list.upload.partSize)),
                ("Parts", .array(list.parts.map { part in
                    .object([
                        ("RangeInBytes", .string("\(part.rangeStart)-\(part.rangeStart + part.length - 1)")),
                        ("SHA256TreeHash", .string(part.treeHash)),
                    ])
                })),
                ("VaultARN", .string(list.vault.arn)),
            ]))
        }
        table[.listMultipartUploads] = { input, context in
            let page = try await service.listMultipartUploads(
                context.caller, vaultName: input.path("vaultName"), marker: input.value("marker"), limit: input.value("limit"))
            return OperationOutput(json: .object([
                ("Marker", .optional(page.marker)),
                ("UploadsList", .array(page.uploads.map { upload in
                    .object([
                        ("ArchiveDescription", .optional(upload.description)),
                        ("CreationDate", .string(Timestamp.iso8601(upload.creationDate))),
                        ("MultipartUploadId", .string(upload.id)),
                        ("PartSizeInBytes", .int(upload.partSize)),
                        ("VaultARN", .string(page.vault.arn)),
                    ])
                })),
            ]))
        }
    }
}

extension OperationOutput {
    /// UploadArchive's and CompleteMultipartUpload's answer: where the archive lives, its ID and tree hash.
    static func archiveCreated(_ vault: VaultRef, _ archive: ArchiveRow) -> OperationOutput {
        OperationOutput(headers: [
            "location": "\(vault.location)/archives/\(archive.id)", "archiveId": archive.id, "checksum": archive.treeHash,
        ])
    }
}

extension HTTPField.Name {
    static let amzContentSHA256 = Self("x-amz-content-sha256")!
}
