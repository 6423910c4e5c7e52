package io.outpost.observability;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import io.outpost.config.AccessLogConfig;
import io.outpost.proxy.AccessLog;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Writes one line per finished request, as JSON or in Common Log Format, to standard output or a
 * file. Requests refused as malformed get theirs too; what their head did not yield is empty in
 * JSON, and a request line that could not be read is {@code "-"} in Common Log Format. Lines go
 * through an asynchronous Logback appender so the event loop never waits on a disk or a pipe; when
 * the queue is full a line is dropped rather than stalling traffic.
 */
public final class AccessLogWriter implements AccessLog, AutoCloseable {

    private static final DateTimeFormatter CLF_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private static final String SINK = "access-sink";

    private final ch.qos.logback.classic.Logger logger;
    private final AsyncAppender async;
    private final AccessLogConfig.Format format;
    private final java.time.Clock clock;

    public AccessLogWriter(AccessLogConfig config, java.time.Clock clock) {
        this.format = config.format();
        this.clock = clock;
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        OutputStreamAppender<ILoggingEvent> sink;
        if (config.toStdout()) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.out");
            sink = console;
        } else {
            // Logback refuses to start a second FileAppender on a file an earlier one used (it keeps a map
            // of them per context, also after they stop). The writer this one replaces stops below, so
            // its entry goes: else a reload that re-creates the access log would leave it dead.
            Object collisions = context.getObject(CoreConstants.FA_FILENAME_COLLISION_MAP);
            if (collisions instanceof java.util.Map<?, ?> map) {
                map.remove(SINK);
            }
            FileAppender<ILoggingEvent> file = new FileAppender<>();
            file.setFile(config.path());
            file.setAppend(true);
            sink = file;
        }
        sink.setContext(context);
        sink.setEncoder(encoder);
        sink.setName(SINK);
        sink.start();
        async = new AsyncAppender();
        async.setContext(context);
        async.setName("access");
        async.setQueueSize(16384);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.addAppender(sink);
        async.start();
        logger = context.getLogger("outpost.access");
        logger.detachAndStopAllAppenders();
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.addAppender(async);
    }

    @Override
    public void log(AccessLog.Entry ex, long durationNanos) {
        logger.info(format == AccessLogConfig.Format.JSON ? json(ex, durationNanos, clock.instant())
                : common(ex, clock.instant()));
    }

    static String json(AccessLog.Entry ex, long durationNanos, Instant now) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"time\":\"").append(now).append('"');
        field(sb, "request_id", ex.requestId());
        field(sb, "client_ip", ex.clientIp());
        field(sb, "method", ex.method());
        field(sb, "host", ex.host());
        field(sb, "path", ex.path());
        sb.append(",\"status\":").append(ex.status());
        sb.append(",\"duration_ms\":").append(String.format(Locale.ROOT, "%.3f", durationNanos / 1e6));
        sb.append(",\"request_bytes\":").append(ex.requestBytes());
        sb.append(",\"response_bytes\":").append(ex.responseBytes());
        field(sb, "router", ex.routerName());
        field(sb, "service", ex.serviceName());
        field(sb, "upstream", ex.upstream());
        return sb.append('}').toString();
    }

    static String common(AccessLog.Entry ex, Instant now) {
        String method = ex.method();
        String time = CLF_TIME.format(now);
        if (method == null || method.isEmpty()) {
            return ex.clientIp() + " - - [" + time + "] \"-\" " + ex.status() + " " + ex.responseBytes();
        }
        return ex.clientIp() + " - - [" + time + "] \"" + method + " " + ex.uri() + " HTTP/1.1\" " + ex.status() + " "
                + ex.responseBytes();
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(",\"").append(name).append("\":\"");
        if (value != null) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /**
     * Stops this writer's own appender only. The logger is shared: a writer made for a reloaded
     * configuration has already attached its appender to it, and must keep it.
     */
    @Override
    public void close() {
        logger.detachAppender(async);
        async.stop();
    }
}
