import Logging

/// swift-log's `StreamLogHandler`, with its metadata kept as given and rendered only when a
/// message is actually written.
///
/// `StreamLogHandler` renders its metadata into a string each time a key is set. Hummingbird
/// sets a request ID on every request's logger, so that rendering ran for every request even
/// though, at the default level, nothing per request is logged: 2.3 % of the server's CPU under
/// wrk's ListParts load (`bench/profile.sh listparts`, call graph).
struct LazyLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: Logger.Level) {
        stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = level
        metadataProvider = stream.metadataProvider
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var stream = self.stream
        stream.metadata = metadata
        stream.metadataProvider = metadataProvider
        stream.log(event: event)
    }
}
