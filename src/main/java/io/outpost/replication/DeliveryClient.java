package io.outpost.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.outpost.config.TimeoutsConfig;
import io.outpost.journal.Entry;
import io.outpost.journal.Header;
import io.outpost.proxy.OutboundClient;
import io.outpost.proxy.Transport;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends journaled writes to replicas over an {@link OutboundClient}: keep-alive connections per
 * endpoint and event loop (a delivery and its answer stay on the loop of its session), TLS to
 * https replicas, and a full request built from an entry's stored bytes.
 */
final class DeliveryClient implements AutoCloseable {

    /**
     * What became of one delivery: a status ({@code 0} = not reached), headers and body. {@code incomplete}
     * is null when the body is whole, else why it is not: it exceeded the limit held in memory, or broke off.
     */
    record Result(int status, List<Header> headers, byte[] body, String incomplete, Throwable cause) {
        static Result notReached(Throwable cause) {
            return new Result(0, List.of(), new byte[0], null, cause);
        }

        boolean reached() {
            return status > 0;
        }

        static Result of(OutboundClient.Result r, int maxResponseBytes) {
            List<Header> headers = new ArrayList<>(r.headers().size());
            for (Map.Entry<String, String> h : r.headers()) {
                headers.add(new Header(h.getKey(), h.getValue()));
            }
            String incomplete = !r.truncated() ? null
                    : r.cause() == null ? "exceeded the limit of " + size(maxResponseBytes) + " held in memory"
                    : "broke off after " + r.body().length + " bytes (" + r.cause() + ")";
            return new Result(r.status(), headers, r.body(), incomplete, r.cause());
        }

        private static String size(int bytes) {
            return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + " MiB" : bytes + " bytes";
        }
    }

    /** Where each endpoint is reached with the current TLS settings; replaced when they change. */
    private record Targets(UpstreamTls tls, Map<String, UpstreamTarget> byEndpoint) {
        UpstreamTarget of(Endpoint e) {
            return byEndpoint.computeIfAbsent(e.id(), id -> UpstreamTarget.of(id, tls));
        }
    }

    private final OutboundClient client;
    private final int maxResponseBytes;
    private volatile Targets targets = new Targets(null, new ConcurrentHashMap<>());

    DeliveryClient(Transport transport, int maxResponseBytes) {
        this.client = new OutboundClient(transport, maxResponseBytes);
        this.maxResponseBytes = maxResponseBytes;
    }

    /** Sets the connect and response-head timeouts of later deliveries. */
    void timeouts(TimeoutsConfig timeouts) {
        client.timeouts(timeouts.connect(), timeouts.responseHeader());
    }

    /** Sets how later connections to https replicas verify them and what they present; null for the defaults. */
    void tls(UpstreamTls settings) {
        targets = new Targets(settings, new ConcurrentHashMap<>());
    }

    /**
     * Delivers {@code entry} to {@code endpoint} over a connection of {@code loop}; the result completes
     * on {@code loop}. Never fails, a failure is a not-reached result.
     */
    CompletableFuture<Result> send(Endpoint endpoint, Entry entry, String kind, EventLoop loop) {
        return client.send(targets.of(endpoint), alloc -> request(alloc, endpoint, entry, kind), loop)
                .thenApply(r -> Result.of(r, maxResponseBytes));
    }

    /**
     * The request as bytes: the entry's method, target, stored headers and body, plus the delivery
     * headers. The stored headers were parsed from the client's request, so they are written back
     * byte for byte (ISO-8859-1), as they came.
     */
    static ByteBuf request(ByteBufAllocator alloc, Endpoint endpoint, Entry entry, String kind) {
        byte[] body = entry.body();
        ByteBuf buf = alloc.buffer(256 + entry.pathAndQuery().length() + 64 * entry.headers().size() + body.length);
        OutboundClient.requestLine(buf, entry.method(), entry.pathAndQuery());
        for (Header h : entry.headers()) {
            OutboundClient.header(buf, h.name(), h.value());
        }
        OutboundClient.header(buf, "Host", OutboundClient.authority(endpoint.host(), endpoint.port()));
        OutboundClient.header(buf, DeliveryHeaders.IDEMPOTENCY_KEY, entry.idempotencyKey());
        OutboundClient.header(buf, DeliveryHeaders.ORIGINAL_TIME, DeliveryHeaders.originalTime(entry.receivedAtMillis()));
        OutboundClient.header(buf, DeliveryHeaders.DELIVERY, kind);
        OutboundClient.header(buf, "Content-Length", Integer.toString(body.length));
        return OutboundClient.endHead(buf).writeBytes(body);
    }

    @Override
    public void close() {
        client.close();
    }
}
