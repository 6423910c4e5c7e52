package io.outpost.tls;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * An https upstream on loopback (the JDK's TLS server): answers every request with the SNI it was
 * asked for and the subject of the client certificate, one request per connection.
 */
final class TlsBackend implements AutoCloseable {

    private final SSLServerSocket server;
    private final Thread thread;
    /** The request line of every request answered. */
    final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

    TlsBackend(SSLContext ssl, boolean needClientAuth) throws IOException {
        server = (SSLServerSocket) ssl.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(needClientAuth);
        thread = new Thread(this::serve, "tls-backend");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (SSLSocket socket = (SSLSocket) server.accept()) {
                socket.setSoTimeout(5_000);
                answer(socket);
            } catch (IOException e) {
                // a failed handshake is what some tests expect; go on with the next connection
            }
        }
    }

    private void answer(SSLSocket socket) throws IOException {
        socket.startHandshake();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        requests.add(String.valueOf(in.readLine()));
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            // skip the request head
        }
        ExtendedSSLSession session = (ExtendedSSLSession) socket.getSession();
        String sni = session.getRequestedServerNames().stream().filter(n -> n instanceof SNIHostName)
                .map(n -> ((SNIHostName) n).getAsciiName()).findFirst().orElse("-");
        String client;
        try {
            client = ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
        } catch (SSLPeerUnverifiedException e) {
            client = "-";
        }
        byte[] body = ("sni=" + sni + " client=" + client + "\n").getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    static SSLContext serverContext(TestPki.Issued cert, List<X509Certificate> clientCas) throws Exception {
        return TestPki.context(clientCas.isEmpty() ? List.of(cert.cert()) : clientCas, cert);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
