package io.outpost.replication;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A replica that reads each request in full, head and body, and then resets the connection instead of
 * answering: the write may have run there, and the gateway cannot know. It records the request line, the
 * body and the {@code Idempotency-Key} of every request it read.
 */
final class ResettingReplica implements AutoCloseable {

    /** One request read before the reset: its request line ({@code GET /state HTTP/1.1}), key and body. */
    record Read(String requestLine, String key, String body) {
    }

    private final ServerSocket server;
    private final List<Read> reads = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    ResettingReplica() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "resetting-replica");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    List<Read> reads() {
        return List.copyOf(reads);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                reads.add(read(socket.getInputStream()));
                socket.setSoLinger(true, 0);   // close with RST, not FIN
            } catch (IOException e) {
                // Closed, or the gateway went away mid-request: either way, nothing to answer.
            }
        }
    }

    /** Reads one request: the head up to its blank line, then Content-Length bytes of body. */
    private static Read read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed in the head");
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String key = null;
        int length = 0;
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).strip());
            } else if (lower.startsWith("idempotency-key:")) {
                key = line.substring(line.indexOf(':') + 1).strip();
            }
        }
        return new Read(lines[0], key, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
