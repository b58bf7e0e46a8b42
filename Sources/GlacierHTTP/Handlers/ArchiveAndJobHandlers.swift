import GlacierDomain
import HTTPTypes
import Hummingbird
#if canImport(Glibc)
import Glibc
#endif

/// UploadArchive, DeleteArchive and the four job operations.
enum ArchiveAndJobHandlers {
    static func register(_ service: GlacierService, into table: inout [OperationName: OperationHandler]) {
        table[.uploadArchive] = { input, context in
            let headers = GlacierService.ArchiveHeaders(
                description: input.value("archiveDescription"), treeHash: input.value("checksum"),
                contentSHA256: input.request.headers[.amzContentSHA256], contentLength: input.contentLength)
            let (vault, archive) = try await service.uploadArchive(
                context.caller, vaultName: input.path("vaultName"), headers: headers, body: input.body)
            return .archiveCreated(vault, archive)
        }
        table[.deleteArchive] = { input, context in
            try await service.deleteArchive(context.caller, vaultName: input.path("vaultName"), archiveID: input.path("archiveId"))
            return OperationOutput()
        }
        table[.initiateJob] = { input, context in
            let (location, jobID) = try await service.initiateJob(
                context.caller, vaultName: input.path("vaultName"), body: try await input.jsonBody())
            return OperationOutput(headers: ["location": location, "jobId": jobID])
        }
        table[.describeJob] = { input, context in
            let job = try await service.describeJob(context.caller, vaultName: input.path("vaultName"), jobID: input.path("jobId"))
            return OperationOutput(json: .object(job.fields))
        }
        table[.listJobs] = { input, context in
            let page = try await service.listJobs(
                context.caller, vaultName: input.path("vaultName"), completed: input.value("completed"),
                statusCode: input.value("statuscode"), marker: input.value("marker"), limit: input.value("limit"))
            return OperationOutput(json: .object([
                ("JobList", .array(page.jobs.map { .object($0.fields) })),
                ("Marker", .optional(page.marker)),
            ]))
        }
        table[.getJobOutput] = { input, context in
            // Held until the body is sent: a snapshot restore meanwhile leaves these files be.
            let reading = service.enterRequest()
            let output = try await service.jobOutput(
                context.caller, vaultName: input.path("vaultName"), jobID: input.path("jobId"), range: input.value("range"))
            var headers = ["acceptRanges": "bytes", "contentType": output.contentType]
            headers["checksum"] = output.treeHash
            headers["contentRange"] = output.contentRange
            headers["archiveDescription"] = output.archiveDescription
            return OperationOutput(
                headers: headers, body: FileStreaming.body(output.pieces, length: output.length, holding: reading),
                status: output.contentRange == nil ? 200 : 206)
        }
    }
}

/// Streams pieces of blob files as a response body with sendfile(2) (see `FileRegionRelay`):
/// the output is never copied through user space nor held in memory, and NIO's backpressure
/// (the writer's `write` suspends while the socket is full) paces the pieces.
enum FileStreaming {
    static func body(_ pieces: [JobOutput.Piece], length: Int64, holding ticket: BlobReadTicket? = nil) -> ResponseBody {
        ResponseBody(contentLength: Int(length)) { writer in
            defer { ticket?.end() }
            for piece in pieces {
                let fd = open(piece.path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw GlacierError(.serviceUnavailable, "job output file is missing: \(piece.path)") }
                var info = stat()
                guard fstat(fd, &info) == 0, Int64(info.st_size) >= piece.offset + piece.length else {
                    close(fd)
                    throw GlacierError(.serviceUnavailable, "job output file is shorter than recorded: \(piece.path)")
                }
                let marker = FileRegionRelay.marker(fd: fd, offset: piece.offset, length: piece.length)
                do {
                    try await writer.write(marker)
                } catch {
                    FileRegionRelay.cancel(marker)
                    throw error
                }
            }
            try await writer.finish(nil)
        }
    }
}
