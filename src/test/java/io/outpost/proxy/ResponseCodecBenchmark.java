package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One upstream response through the proxy's response path: decoded from an upstream connection,
 * rewritten for the client ({@link ProxyHeaders#prepareResponse}) and encoded for the client, with
 * Netty's client codec ({@code netty}) or {@link UpstreamCodec} ({@code raw}). On demand, not in CI.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ResponseCodecBenchmark {

    @Param({"netty", "raw"})
    public String codec;

    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
            + "Date: Mon, 23 Nov 2026 10:00:00 GMT\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 12\r\nConnection: keep-alive\r\n\r\nhello world\n").getBytes(StandardCharsets.US_ASCII);

    private EmbeddedChannel upstream;
    private EmbeddedChannel client;
    private DefaultFullHttpRequest request;

    @Setup
    public void setUp() {
        upstream = new EmbeddedChannel(codec.equals("raw") ? new UpstreamCodec() : new HttpClientCodec(4096, 16384, 65536, false, false));
        client = new EmbeddedChannel(new ServerCodec.ResponseEncoder(new java.util.ArrayDeque<>()));
        request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER);
    }

    @Benchmark
    public int roundTrip() {
        upstream.writeOutbound(request.retain());
        ((ByteBuf) upstream.readOutbound()).release();
        upstream.writeInbound(Unpooled.wrappedBuffer(RESPONSE));
        HttpResponse head = upstream.readInbound();
        LastHttpContent last = upstream.readInbound();
        ProxyHeaders.prepareResponse(head, request);
        client.writeOutbound(new DefaultFullHttpResponse(head.protocolVersion(), head.status(), last.content(),
                head.headers(), last.trailingHeaders()));
        ByteBuf out = client.readOutbound();
        int n = out.readableBytes();
        out.release();
        return n;
    }
}
