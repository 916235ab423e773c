import Dispatch
import HTTPServer
import KithCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// JSON lines to stderr, buffered so a busy server makes one write() per batch rather than per
/// request. Flushed every 200 ms, when the buffer grows past 64 KiB, and on shutdown.
public final class LogSink: Sendable {
    private let buffer = Mutex<[UInt8]>([])
    private let timer: DispatchHandle<any DispatchSourceTimer>
    private let fd: Int32

    public init(fd: Int32 = 2) {
        self.fd = fd
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "kith.log"))
        timer = DispatchHandle(source)
        source.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200), leeway: .milliseconds(50))
        source.setEventHandler { [weak self] in self?.flush() }
        source.resume()
    }

    deinit { timer.value.cancel() }

    public func write(_ line: JSON) {
        var bytes = line.encoded()
        bytes.append(10)
        let full = buffer.withLock { buffer -> Bool in
            buffer.append(contentsOf: bytes)
            return buffer.count >= 64 * 1024
        }
        if full { flush() }
    }

    public func flush() {
        let pending = buffer.withLock { buffer -> [UInt8] in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    /// A message for operators: `{"time", "level", "message", ...fields}`. Never personal data.
    public func event(_ level: String, _ message: String, _ fields: [(String, JSON)] = []) {
        let now = SystemClock().now()
        write(.object([("time", .string(now.rfc3339)), ("level", .string(level)), ("message", .string(message))] + fields))
    }

    /// The access log line for one response.
    public func access(_ entry: AccessLogEntry) {
        let time = Timestamp(millisecondsSinceEpoch: entry.time)
        write([
            "time": .string(time.rfc3339), "level": "info", "request_id": .string(entry.requestId),
            "method": .string(entry.method), "path": .string(entry.path), "status": .int(entry.status),
            "bytes": .int(entry.bytes), "duration_ms": .double(Double(entry.durationMicros) / 1000),
            "key_id": JSON(entry.principal),
        ])
    }
}
