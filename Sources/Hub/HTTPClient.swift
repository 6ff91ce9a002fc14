// One HTTP(S) request through libcurl's easy interface: headers collected per response (a
// redirect chain yields several; the last one wins), the body streamed to a closure.
// Redirects are followed only when asked, so the Hub's metadata headers on a 302 can be read.

import CCurl
import Foundation

struct HTTPResponse {
    var status = 0
    /// Header names lowercased; a repeated header keeps its last value.
    var headers: [String: String] = [:]

    subscript(header name: String) -> String? { headers[name.lowercased()] }
}

/// The request never produced a complete response (no network, refused, timed out, cut off).
struct TransportError: Error {
    let code: CURLcode
    let message: String
    /// Connecting failed (name resolution, refused, unreachable), as opposed to a transfer cut short.
    var isConnectFailure: Bool {
        [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT].contains(code)
            || (code == CURLE_OPERATION_TIMEDOUT && message.lowercased().contains("connect"))
    }
}

struct HTTPRequest {
    enum Method: String { case head = "HEAD", get = "GET" }
    var method: Method
    var url: String
    var headers: [String] = []
    /// `Range: bytes=<from>-`, to resume a partial download.
    var rangeFrom: Int64?
    var followRedirects = false
    /// Seconds to connect; for HEAD also the whole request; for GET the longest silence allowed.
    var timeout = 10

    /// Performs the request. `body` gets each chunk with the response so far (status, headers) and
    /// returns false to abort. Throws TransportError when no complete response arrived.
    func perform(body: (HTTPResponse, UnsafeRawBufferPointer) -> Bool = { _, _ in true }) throws -> HTTPResponse {
        _ = HTTPRequest.globalInit
        guard let handle = curl_easy_init() else {
            throw TransportError(code: CURLE_FAILED_INIT, message: "libcurl could not start a request")
        }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers + ["Accept-Encoding: identity", "User-Agent: vittrain (huggingface_hub cache layout)"] {
            list = curl_slist_append(list, header)
        }
        defer { curl_slist_free_all(list) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        // The context lives only for this call, so the closure never outlives it.
        return try withoutActuallyEscaping(body) { body in
        let context = TransferContext(body: body)
        let result: CURLcode = withExtendedLifetime(context) {
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                let opaque = Unmanaged.passUnretained(context).toOpaque()
                _ = ccurl_set_string(handle, CURLOPT_URL, url)
                _ = ccurl_set_headers(handle, list)
                _ = ccurl_set_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                _ = ccurl_set_long(handle, CURLOPT_NOSIGNAL, 1)
                _ = ccurl_set_long(handle, CURLOPT_CONNECTTIMEOUT, timeout)
                if method == .head {
                    _ = ccurl_set_long(handle, CURLOPT_NOBODY, 1)
                    _ = ccurl_set_long(handle, CURLOPT_TIMEOUT, timeout)
                } else {
                    // No total limit on a large file: give up only after `timeout` seconds without data.
                    _ = ccurl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                    _ = ccurl_set_long(handle, CURLOPT_LOW_SPEED_TIME, timeout)
                }
                if followRedirects {
                    _ = ccurl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1)
                    _ = ccurl_set_long(handle, CURLOPT_MAXREDIRS, 5)
                }
                if let rangeFrom { _ = ccurl_set_string(handle, CURLOPT_RANGE, "\(rangeFrom)-") }
                _ = ccurl_set_header_callback(handle, headerCallback)
                _ = ccurl_set_pointer(handle, CURLOPT_HEADERDATA, opaque)
                _ = ccurl_set_write_callback(handle, writeCallback)
                _ = ccurl_set_pointer(handle, CURLOPT_WRITEDATA, opaque)
                return curl_easy_perform(handle)
            }
        }
        if context.aborted { return context.response }   // the caller stopped it and knows why
        guard result == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw TransportError(code: result, message: detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail)
        }
        return context.response
        }
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
}

/// What the C callbacks see, through the opaque pointer curl hands back.
private final class TransferContext {
    var response = HTTPResponse()
    var aborted = false
    let body: (HTTPResponse, UnsafeRawBufferPointer) -> Bool

    init(body: @escaping (HTTPResponse, UnsafeRawBufferPointer) -> Bool) { self.body = body }
}

private let headerCallback: ccurl_data_callback = { data, size, count, opaque in
    guard let data, let opaque else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(opaque).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        // A new response of a redirect chain starts: forget the previous one's headers.
        context.response = HTTPResponse()
        let fields = line.split(separator: " ")
        context.response.status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        context.response.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return length
}

private let writeCallback: ccurl_data_callback = { data, size, count, opaque in
    guard let data, let opaque else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(opaque).takeUnretainedValue()
    let length = size * count
    if context.body(context.response, UnsafeRawBufferPointer(start: data, count: length)) { return length }
    context.aborted = true
    return 0   // fewer bytes than offered: curl stops with CURLE_WRITE_ERROR
}
