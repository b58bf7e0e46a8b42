/// Every error glacier-mock returns, in one table: Glacier's error code, its HTTP status
/// and its `type` (Developer Guide, "Error Responses"). Handlers throw `GlacierError`
/// values built here with a message that names the resource or the broken rule; the HTTP
/// layer turns them into Glacier's JSON error body. No status number appears elsewhere.
public struct GlacierError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case accessDenied = "AccessDeniedException"
        case badRequest = "BadRequest"
        case expiredToken = "ExpiredTokenException"
        case insufficientCapacity = "InsufficientCapacityException"
        case invalidParameterValue = "InvalidParameterValueException"
        case invalidSignature = "InvalidSignatureException"
        case limitExceeded = "LimitExceededException"
        case missingAuthenticationToken = "MissingAuthenticationTokenException"
        case missingParameterValue = "MissingParameterValueException"
        /// botocore's model lists it for every operation (400): "Returned if the request was made
        /// by a customer with no Amazon Glacier storage. The request is denied as the API is no
        /// longer supported for new customers." glacier-mock returns it only when a fault
        /// injected with POST /_mock/faults says so.
        case noLongerSupported = "NoLongerSupportedException"
        case policyEnforced = "PolicyEnforcedException"
        case requestTimeout = "RequestTimeoutException"
        case resourceNotFound = "ResourceNotFoundException"
        case serialization = "SerializationException"
        case serviceUnavailable = "ServiceUnavailableException"
        case throttling = "ThrottlingException"
        case unrecognizedClient = "UnrecognizedClientException"
        /// The request names no Glacier operation (AWS's code for this case).
        case unknownOperation = "UnknownOperationException"
        /// Not a Glacier code: an operation of the model that glacier-mock does not serve yet.
        case notImplemented = "NotImplemented"

        /// The documented HTTP status.
        public var status: Int {
            switch self {
            case .accessDenied, .expiredToken, .invalidSignature: return 403
            case .resourceNotFound, .unknownOperation: return 404
            case .requestTimeout: return 408
            case .serviceUnavailable: return 500
            case .notImplemented: return 501
            // UnrecognizedClientException: 400 in Glacier's error table (and in AWS's other
            // JSON services' answers), not 403.
            case .badRequest, .insufficientCapacity, .invalidParameterValue, .limitExceeded,
                .missingAuthenticationToken, .missingParameterValue, .noLongerSupported, .policyEnforced,
                .serialization, .throttling, .unrecognizedClient:
                return 400
            }
        }

        /// "Server" for failures on the service side, "Client" for everything the caller can fix.
        public var type: String {
            (self == .serviceUnavailable || self == .notImplemented) ? "Server" : "Client"
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var status: Int { code.status }
    public var description: String { "\(code.rawValue): \(message)" }

    // MARK: Errors used in several places

    public static func vaultNotFound(_ vault: VaultRef) -> GlacierError {
        GlacierError(.resourceNotFound, "Vault not found for ARN: \(vault.arn)")
    }

    public static func uploadNotFound(_ uploadID: String, _ vault: VaultRef) -> GlacierError {
        GlacierError(.resourceNotFound, "Multipart upload not found for upload ID: \(uploadID) in vault \(vault.arn)")
    }

    public static func missingHeader(_ name: String) -> GlacierError {
        GlacierError(.missingParameterValue, "Required header or parameter \(name) is missing")
    }

    public static func invalid(_ message: String) -> GlacierError {
        GlacierError(.invalidParameterValue, message)
    }

    /// The body's SHA-256 differs from its `x-amz-content-sha256` header. Under
    /// `--auth sigv4` that header is the signed payload hash, so the HTTP layer reports
    /// this as InvalidSignatureException (see `isContentSHA256Mismatch`).
    public static func contentSHA256Mismatch(claimed: String, received: String) -> GlacierError {
        GlacierError(.invalidParameterValue, "x-amz-content-sha256 \(claimed) does not match the SHA-256 of the received payload, \(received)")
    }

    /// Whether this is the error of `contentSHA256Mismatch`.
    public var isContentSHA256Mismatch: Bool {
        code == .invalidParameterValue && message.hasPrefix("x-amz-content-sha256 ")
            && message.contains(" does not match the SHA-256 of the received payload")
    }

    /// The disk refused a write: the request fails, nothing half-written is visible.
    public static func storageFull(_ detail: String) -> GlacierError {
        GlacierError(.serviceUnavailable, "glacier-mock could not store the data (\(detail)); free space in the data directory and retry")
    }
}
