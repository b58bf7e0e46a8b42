import ArgumentParser
import NIOCore
import NIOPosix

// Swift concurrency's jobs run on NIO's event loop threads instead of a second pool of
// threads, so a request no longer hops from an event loop to a cooperative thread and back
// at every await. Must run on the main thread before anything is awaited, hence top-level
// code instead of `@main`.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await GlacierMock.start()

extension GlacierMock {
    /// What `@main` does for an AsyncParsableCommand. (Called from an async function so that
    /// `run()` resolves to the async requirement, as in ArgumentParser's own `main`.)
    static func start() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
