import HTTP1

/// Kith's responses are `HTTPResponse` values built with these helpers.
public typealias Response = HTTPResponse

extension HTTPResponse {
    public static func json(_ value: JSON, status: Int = 200) -> HTTPResponse {
        var response = HTTPResponse(status: status, body: value.encoded())
        response.headers.add("Content-Type", "application/json")
        return response
    }

    public static func json(_ value: some JSONRepresentable, status: Int = 200) -> HTTPResponse {
        json(value.json, status: status)
    }

    /// 201 with `Location`, and the `ETag` of the new resource's version.
    public static func created(_ value: JSON, location: String, version: Int? = nil) -> HTTPResponse {
        var response = json(value, status: 201)
        response.headers.add("Location", location)
        if let version { response.headers.add("ETag", ETag.make(version)) }
        return response
    }

    public static func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

    public static func text(_ text: String, contentType: String, status: Int = 200) -> HTTPResponse {
        var response = HTTPResponse(status: status, body: Array(text.utf8))
        response.headers.add("Content-Type", contentType)
        return response
    }

    /// A resource with its version as a strong `ETag`.
    public static func resource(_ value: JSON, version: Int, status: Int = 200) -> HTTPResponse {
        var response = json(value, status: status)
        response.headers.add("ETag", ETag.make(version))
        return response
    }
}

/// Strong ETags carry the row `version`; `If-Match` guards updates against lost writes.
public enum ETag {
    public static func make(_ version: Int) -> String { "\"\(version)\"" }

    /// Throws 412 unless `If-Match` (when sent) names the current version or is `*`.
    public static func check(_ request: Request, currentVersion: Int) throws {
        guard let header = request.header("if-match") else { return }
        let tags = header.split(separator: ",").map { $0.trimmingOWS() }
        if tags.contains("*") || tags.contains(make(currentVersion)) { return }
        throw Problem.preconditionFailed("If-Match \(header) does not match the current version \(make(currentVersion)); fetch the resource again and reapply your change.")
    }

    /// True when `If-None-Match` matches `etag` (a GET may answer 304).
    static func noneMatch(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { tag in
            let t = tag.trimmingOWS()
            return t == "*" || t == etag || t == "W/" + etag
        }
    }
}
