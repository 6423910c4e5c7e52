package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.outpost.testing.Backend;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gateway's own requests against a real server on loopback: answers, pooling, the idle timeout. */
class OutboundClientTest {

    private final EventLoopGroup group = Transport.best().newGroup(1, "outbound-test");
    private Backend backend;
    private OutboundClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (backend != null) {
            backend.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static Function<ByteBufAllocator, ByteBuf> get(UpstreamTarget target, String path) {
        return alloc -> {
            ByteBuf buf = alloc.buffer();
            OutboundClient.requestLine(buf, "GET", path);
            OutboundClient.header(buf, "Host", target.authority());
            return OutboundClient.endHead(buf);
        };
    }

    @Test
    void answersComeBackAndAnUnusedConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        backend = Backend.start("b1");
        client = new OutboundClient(Transport.best(), 1024, Duration.ofMillis(300));
        UpstreamTarget target = UpstreamTarget.of(backend.url());
        EventLoop loop = group.next();

        OutboundClient.Result first = client.send(target, get(target, "/a"), loop).get(5, TimeUnit.SECONDS);
        assertThat(first.status()).isEqualTo(200);
        assertThat(new String(first.body())).isEqualTo("b1 GET /a body=0\n");
        assertThat(client.idleConnections()).isEqualTo(1);
        assertThat(client.send(target, get(target, "/b"), loop).get(5, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(client.idleConnections()).as("the pooled connection was taken, then given back").isEqualTo(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> client.idleConnections() == 0);
        assertThat(client.send(target, get(target, "/c"), loop).get(5, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(backend.hits()).isEqualTo(3);
    }

    @Test
    void anAnswerWhoseBodyStallsEndsAfterTheIdleTimeoutWithItsStatus() throws Exception {
        try (ServerSocket server = peer("stalling-peer", s -> {
            s.getInputStream().read(new byte[4096]);
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Thread.sleep(10_000); // the rest of the body never comes
        })) {
            client = new OutboundClient(Transport.best(), 1024, Duration.ofMillis(300));
            UpstreamTarget target = UpstreamTarget.of("http://127.0.0.1:" + server.getLocalPort());

            OutboundClient.Result r = client.send(target, get(target, "/"), group.next()).get(5, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(new String(r.body(), StandardCharsets.US_ASCII)).isEqualTo("ab");
            assertThat(client.idleConnections()).isZero();
        }
    }

    @Test
    void aPooledConnectionsQuietTimeStartsAgainWithItsNextRequest() throws Exception {
        // One connection carries two requests. The second goes out 0.8 s after the connection last read anything
        // and is answered 0.5 s later: with an idle timeout of 1 s that counts from the request, an answer.
        try (ServerSocket server = peer("slow-second-answer", s -> {
            readHead(s);
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            readHead(s);
            Thread.sleep(500);
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Thread.sleep(10_000);
        })) {
            client = new OutboundClient(Transport.best(), 1024, Duration.ofSeconds(1));
            UpstreamTarget target = UpstreamTarget.of("http://127.0.0.1:" + server.getLocalPort());
            EventLoop loop = group.next();

            assertThat(client.send(target, get(target, "/a"), loop).get(5, TimeUnit.SECONDS).status()).isEqualTo(200);
            await().pollDelay(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2))
                    .until(() -> client.idleConnections() == 1);   // still pooled, most of its idle time used

            OutboundClient.Result second = client.send(target, get(target, "/b"), loop).get(5, TimeUnit.SECONDS);
            assertThat(second.cause()).isNull();
            assertThat(second.status()).isEqualTo(200);
            assertThat(new String(second.body(), StandardCharsets.US_ASCII)).isEqualTo("b");
        }
    }

    @Test
    void anAnswerOverTheLimitEndsAtTheLimitWithoutWaitingForTheRest() throws Exception {
        try (ServerSocket server = peer("large-peer", s -> {
            s.getInputStream().read(new byte[4096]);
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(new byte[2048]);
            s.getOutputStream().flush();
            Thread.sleep(30_000); // the rest would come later, if at all
        })) {
            client = new OutboundClient(Transport.best(), 1024, Duration.ofSeconds(60));
            UpstreamTarget target = UpstreamTarget.of("http://127.0.0.1:" + server.getLocalPort());

            OutboundClient.Result r = client.send(target, get(target, "/"), group.next()).get(5, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.truncated()).isTrue();
            assertThat(r.cause()).isNull();
            assertThat(r.body()).hasSize(1024);
            assertThat(client.idleConnections()).isZero();
        }
    }

    /** What a peer does with the one connection it accepts. */
    private interface PeerScript {
        void serve(Socket s) throws Exception;
    }

    /**
     * A server on loopback whose thread serves the first connection with {@code script}; an exception ends
     * it quietly (the client closes the connection when it is done).
     */
    private static ServerSocket peer(String name, PeerScript script) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                script.serve(s);
            } catch (Exception e) {
                // closed by the client, as expected
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return server;
    }

    /** Reads one request head (no body) from {@code s}. */
    private static void readHead(Socket s) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = s.getInputStream().read();
            if (b < 0) {
                throw new EOFException();
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }
}
