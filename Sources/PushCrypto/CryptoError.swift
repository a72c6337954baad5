internal import COpenSSL

/// A failure of a cryptographic operation: what was attempted, and OpenSSL's own words.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in terms of the caller's request.
    public enum Kind: String, Sendable, Hashable {
        /// The PEM text (or file) could not be parsed as a key of the expected kind.
        case invalidKey
        /// The key parsed but is of another type or curve than required.
        case wrongKeyType
        /// A signature had the wrong length or encoding.
        case invalidSignature
        /// Base64url text contained characters or padding that are not allowed.
        case invalidBase64URL
        /// A JWS compact string did not have three non-empty dot-separated parts.
        case malformedJWS
        /// OpenSSL failed while signing, generating or serialising.
        case operationFailed
        /// A key file could not be read.
        case unreadableFile
    }

    /// The category of failure.
    public var kind: Kind
    /// Where it happened (function, field or file name) and OpenSSL's error queue, if any.
    public var context: String

    /// Creates an error.
    public init(_ kind: Kind, _ context: String) {
        self.kind = kind
        self.context = context
    }

    /// `kind: context`.
    public var description: String { "\(kind.rawValue): \(context)" }

    /// Builds an error, appending and clearing OpenSSL's error queue for this thread.
    static func openSSL(_ kind: Kind, _ context: String) -> CryptoError {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        if messages.isEmpty { return CryptoError(kind, context) }
        return CryptoError(kind, context + " (" + messages.joined(separator: "; ") + ")")
    }
}
