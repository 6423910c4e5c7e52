package io.outpost.demo;

import static io.outpost.demo.Clients.get;
import static io.outpost.demo.Clients.json;
import static io.outpost.demo.Clients.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The link simulator with real sockets: relays, resets on down, refuses while down, relays again after up. */
class LinkTest {

    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    private final ExecutorService echoThreads = Executors.newCachedThreadPool();
    private ServerSocket echo;
    private Link link;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        echoThreads.execute(this::serveEcho);
        link = Link.start(ANY, (InetSocketAddress) echo.getLocalSocketAddress(), ANY);
    }

    @AfterEach
    void stop() throws IOException {
        link.close();
        echo.close();
        echoThreads.shutdownNow();
    }

    private void serveEcho() {
        while (true) {
            Socket s;
            try {
                s = echo.accept();
            } catch (IOException e) {
                return; // the test is over
            }
            echoThreads.execute(() -> {
                try (s) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (IOException e) {
                    // reset by the link: what the down tests expect
                }
            });
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(link.address(), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        byte[] out = text.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(out);
        byte[] in = s.getInputStream().readNBytes(out.length);
        return new String(in, StandardCharsets.UTF_8);
    }

    @Test
    void relaysBytesBothWaysAndPassesOnAnOrderlyClose() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
            assertThat(link.openConnections()).isEqualTo(1);
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> link.openConnections() == 0);
    }

    @Test
    void downResetsOpenConnectionsRefusesNewOnesAndUpRestoresTheLink() throws IOException {
        Socket open = connect();
        assertThat(roundTrip(open, "before")).isEqualTo("before");

        assertThat(link.down()).isEqualTo(1);

        InputStream in = open.getInputStream();
        assertThatThrownBy(in::read).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        open.close();
        assertThat(link.isUp()).isFalse();
        assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);

        link.up();

        try (Socket again = connect()) {
            assertThat(roundTrip(again, "after")).isEqualTo("after");
        }
    }

    @Test
    void isControlledOverHttp() {
        String control = Clients.url(link.controlAddress(), "/link");
        try (Socket open = connect()) {
            assertThat(roundTrip(open, "x")).isEqualTo("x");
            JsonNode state = json(get(control));
            assertThat(state.get("state").asText()).isEqualTo("up");
            assertThat(state.get("listen").asText()).isEqualTo("127.0.0.1:" + link.address().getPort());
            assertThat(state.get("target").asText()).isEqualTo("127.0.0.1:" + echo.getLocalPort());
            assertThat(state.get("connections").asInt()).isEqualTo(1);

            var down = post(control + "/down", "");
            assertThat(down.statusCode()).isEqualTo(200);
            assertThat(json(down).get("state").asText()).isEqualTo("down");
            assertThat(json(down).get("reset").asInt()).isEqualTo(1);
            assertThat(json(get(control)).get("state").asText()).isEqualTo("down");
            assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);
            assertThat(get(control + "/down").statusCode()).isEqualTo(405);
            assertThat(get(control + "/sideways").statusCode()).isEqualTo(404);

            var up = post(control + "/up", "");
            assertThat(json(up).get("state").asText()).isEqualTo("up");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(link.isUp()).isTrue();
    }

    @Test
    void carriesHttpToThePointOfSaleServiceAndCutsItOff(@TempDir Path dir) throws Exception {
        try (PosService cloud = PosService.start("cloud", ANY, dir);
             Link toCloud = Link.start(ANY, cloud.address(), ANY)) {
            String sales = Clients.url(toCloud.address(), "/pos/sales");
            assertThat(post(sales, "{\"item\":\"apple\",\"qty\":1}", "X-Till", "till-1").statusCode()).isEqualTo(201);

            toCloud.down();

            assertThatThrownBy(() -> get(sales)).hasCauseInstanceOf(ConnectException.class);
            // The replica itself is fine; only the way to it is gone.
            assertThat(json(get(Clients.url(cloud.address(), "/pos/sales"))).get("count").asInt()).isEqualTo(1);

            toCloud.up();

            assertThat(json(get(sales)).get("count").asInt()).isEqualTo(1);
        }
    }
}
