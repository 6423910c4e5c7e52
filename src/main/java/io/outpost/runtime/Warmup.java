package io.outpost.runtime;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.outpost.config.ConfigResult;
import io.outpost.config.ConfigLoader;
import io.outpost.config.OutpostConfig;
import io.outpost.config.RuleChecker;
import io.outpost.observability.RequestMetrics;
import io.outpost.proxy.EntryPoint;
import io.outpost.proxy.GatewayContext;
import io.outpost.proxy.ProxyServer;
import io.outpost.proxy.Routing;
import io.outpost.proxy.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up warm-up: before the entry points open, the gateway sends requests through its own proxy path,
 * from a loopback client to a stand-in upstream in this process, until the JIT compiler has gone quiet.
 *
 * <p>HotSpot compiles the request path within a second of load. But the first time connections are
 * accepted or closed under that compiled code, branches it never saw deoptimize the large inlined methods,
 * and recompiling them takes seconds of CPU from the first minutes of real traffic (docs/benchmarks.md,
 * "Where rounds 1 and 2 go"). So each cycle here opens its client connections, loads them, and closes
 * them, and the stand-in upstream closes its connections every {@value #UPSTREAM_REQUESTS} requests as
 * nginx does every 1,000: those transitions are in the profiles before the first client arrives.
 *
 * <p>Nothing of the user's is touched: no configured upstream is contacted, no access log line is
 * written, and the warm-up's meters live in a registry of their own. The client and the stand-in use the
 * JDK's blocking sockets on their own threads, so no Netty call site sees a type that production traffic
 * would not bring. A failure is logged and start-up goes on.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);

    /** The entry point name of the warm-up's own configuration. */
    static final String ENTRY_POINT = "warmup";
    static final int CONNECTIONS = 4;
    /**
     * Connections of every other cycle after the relisten, as many as a load generator's: what fills up
     * only with many requests in flight (Netty's per-thread recycler batch of 32, more pooled-buffer
     * subpages, longer task and timer queues) takes its branches before real traffic does, instead of
     * throwing away compiled code as it arrives (docs/benchmarks.md, "Session 11").
     */
    static final int WIDE_CONNECTIONS = 64;
    static final int UPSTREAM_REQUESTS = 100;
    static final Duration CYCLE = Duration.ofSeconds(1);
    /** Before this cycle the warm-up closes its listening socket and opens another. */
    static final int RELISTEN_CYCLE = 3;
    /** The warm-up is not over before two cycles have run on the second listening socket. */
    static final int MIN_CYCLES = RELISTEN_CYCLE + 2;
    /** A cycle is quiet when the JIT compiled for at most this share of it (1/20: 50 ms of a 1 s cycle). */
    static final int QUIET_DIVISOR = 20;

    /**
     * What the clients send, one kind per connection: hosts as an address with a port, a name without
     * one, mixed case, an IPv6 literal; a bare head as load generators send it, a fuller one, a client's
     * own request id. Real traffic takes branches the warm-up never took otherwise, and the compiled
     * proxy path would be thrown away and compiled again as it arrived.
     */
    private static final byte[][] REQUESTS = {
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
            "GET /index.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: outpost-warmup\r\nAccept: */*\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII),
            ("GET /api/items?page=2 HTTP/1.1\r\nHost: Api.Example.COM:8443\r\nAccept: application/json\r\n"
                    + "X-Request-Id: warmup-1\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
            "GET / HTTP/1.1\r\nHost: [::1]:8080\r\nAccept-Encoding: gzip\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
    };
    private static final byte[] BODY = "hello world\n".getBytes(StandardCharsets.US_ASCII);

    /** What a warm-up did: how many requests went through in how many cycles, and why it stopped. */
    record Report(long requests, int cycles, Duration took, String outcome) {
    }

    private final EventLoopGroup loops;
    private final Transport transport;
    private final ServiceFactory services;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final Path journalDir;
    private final UnaryOperator<Routing> routing;
    private final Function<InetSocketAddress, EntryPoint> entryPoint;
    private final LongSupplier compileMillis;
    private final LongSupplier nanoClock;

    /**
     * @param entryPoint makes the warm-up's entry point, named {@link #ENTRY_POINT}, on the given loopback
     *                   address, with the settings of a configured entry point so that the same branches run
     * @param routing    wraps the warm-up's routing as the gateway wraps its own (ACME challenges)
     */
    Warmup(EventLoopGroup loops, Transport transport, ServiceFactory services,
           ScheduledExecutorService scheduler, Clock clock, Path journalDir,
           UnaryOperator<Routing> routing, Function<InetSocketAddress, EntryPoint> entryPoint,
           LongSupplier compileMillis, LongSupplier nanoClock) {
        this.loops = loops;
        this.transport = transport;
        this.services = services;
        this.scheduler = scheduler;
        this.clock = clock;
        this.journalDir = journalDir;
        this.routing = routing;
        this.entryPoint = entryPoint;
        this.compileMillis = compileMillis;
        this.nanoClock = nanoClock;
    }

    /** The JIT's accumulated compile time in milliseconds, or -1 when this JVM does not report it. */
    static LongSupplier jitCompileMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return () -> -1;
        }
        return jit::getTotalCompilationTime;
    }

    /**
     * Whether the warm-up may stop after a cycle of {@code cycleMillis} in which the JIT compiled for
     * {@code compiledMillis} ({@code -1}: unknown), the {@code cycles}th.
     */
    static boolean quiet(int cycles, long compiledMillis, long cycleMillis) {
        if (cycles < MIN_CYCLES) {
            return false;
        }
        return compiledMillis < 0 || compiledMillis * QUIET_DIVISOR <= cycleMillis;
    }

    /** Runs cycles until the JIT is quiet or {@code budget} is spent; never throws. */
    Report run(Duration budget) {
        long start = nanoClock.getAsLong();
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "outpost-warmup");
            t.setDaemon(true);
            return t;
        });
        long requests = 0;
        int cycles = 0;
        String outcome;
        try (StandIn upstream = new StandIn(threads)) {
            GatewayRuntime runtime = compile(upstream.port());
            GatewayContext context = new GatewayContext(transport, PooledByteBufAllocator.DEFAULT,
                    GatewayContext.SYSTEM_NANOS, 90_000);
            context.requestMetrics(new RequestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
            context.routing(routing.apply(runtime));
            ProxyServer proxy = listen(context);
            try {
                InetSocketAddress target = proxy.entryPoints().get(0).localAddress();
                long deadline = start + budget.toNanos();
                while (true) {
                    if (cycles == RELISTEN_CYCLE) {
                        // Closing a listening socket takes close paths with the server channel's classes.
                        // Done here, the code it throws away is compiled again before real traffic; done
                        // only at the end, it would be thrown away as real traffic arrives.
                        proxy.closeKeepingLoops();
                        proxy = listen(context);
                        target = proxy.entryPoints().get(0).localAddress();
                    }
                    long cycleStart = nanoClock.getAsLong();
                    long compiledBefore = compileMillis.getAsLong();
                    long cycleEnd = Math.min(deadline, cycleStart + CYCLE.toNanos());
                    long answered = cycle(threads, target, cycleEnd, connections(cycles));
                    requests += answered;
                    cycles++;
                    long compiled = compiledBefore < 0 ? -1 : compileMillis.getAsLong() - compiledBefore;
                    long now = nanoClock.getAsLong();
                    log.debug("warm-up cycle {}: {} requests, {} ms compiling", cycles, answered, compiled);
                    if (quiet(cycles, compiled, Duration.ofNanos(now - cycleStart).toMillis())) {
                        outcome = "the JIT compiler is quiet";
                        break;
                    }
                    if (now >= deadline) {
                        outcome = "its budget of " + budget.toMillis() + " ms is spent";
                        break;
                    }
                }
            } finally {
                proxy.closeKeepingLoops();
                runtime.close();
            }
        } catch (Exception e) {
            outcome = "it failed: " + e;
            log.warn("warm-up stopped early, start-up goes on: {}", e.toString());
        } finally {
            threads.shutdownNow();
        }
        return new Report(requests, cycles, Duration.ofNanos(nanoClock.getAsLong() - start), outcome);
    }

    /** A started proxy with one entry point of the warm-up's on an ephemeral loopback port. */
    private ProxyServer listen(GatewayContext context) throws Exception {
        EntryPoint ep = entryPoint.apply(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ProxyServer proxy = new ProxyServer(context, transport, loops, List.of(ep));
        proxy.start();
        return proxy;
    }

    /** The warm-up's configuration: every request to the stand-in upstream on {@code port}. */
    private GatewayRuntime compile(int port) {
        String yaml = "entryPoints:\n"
                + "  " + ENTRY_POINT + ": { address: \"127.0.0.1:1\" }\n"
                + "http:\n"
                + "  routers:\n"
                + "    warmup: { rule: \"PathPrefix(`/`)\", service: standIn }\n"
                + "  services:\n"
                + "    standIn:\n"
                + "      loadBalancer:\n"
                + "        endpoints:\n"
                + "          - { url: \"http://127.0.0.1:" + port + "\" }\n";
        ConfigResult result = new ConfigLoader(RuleChecker.installed()).parse(yaml, "warm-up configuration");
        OutpostConfig config = result.orElseThrow();
        RuntimeBuilder builder = new RuntimeBuilder(services, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                scheduler, clock, loops);
        GatewayRuntime runtime = builder.build(config, null, journalDir);
        runtime.activate();
        return runtime;
    }

    /**
     * How many connections the cycle after {@code done} cycles opens: {@link #CONNECTIONS}, and
     * {@link #WIDE_CONNECTIONS} in every other cycle on the second listening socket, starting with its second
     * (so the shortest warm-up has one).
     */
    static int connections(int done) {
        return done > RELISTEN_CYCLE && (done - RELISTEN_CYCLE) % 2 == 1 ? WIDE_CONNECTIONS : CONNECTIONS;
    }

    /**
     * One cycle: {@code connections} clients each open a connection, send requests one after another until
     * {@code endNanos}, send one more and close it without waiting for the answer: every other one with a
     * reset, as a load generator's connections end with their answers unread (the gateway's reads and
     * writes then fail, on paths of their own). Returns the number of answered requests.
     */
    private long cycle(ExecutorService threads, InetSocketAddress target, long endNanos, int connections)
            throws Exception {
        List<Future<Long>> clients = new ArrayList<>(connections);
        for (int i = 0; i < connections; i++) {
            byte[] request = REQUESTS[i % REQUESTS.length];
            boolean reset = i % 2 == 1;
            clients.add(threads.submit(() -> client(target, request, endNanos, reset)));
        }
        long answered = 0;
        for (Future<Long> f : clients) {
            answered += f.get();
        }
        return answered;
    }

    /** {@code reset}: the connection ends with a reset instead of a close, as when a client process dies. */
    private long client(InetSocketAddress target, byte[] request, long endNanos, boolean reset) throws IOException {
        long answered = 0;
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.setSoTimeout(5_000);
            socket.connect(target, 5_000);
            OutputStream out = socket.getOutputStream();
            ResponseReader in = new ResponseReader(socket.getInputStream());
            while (nanoClock.getAsLong() < endNanos) {
                out.write(request);
                in.readResponse();
                answered++;
            }
            // The last request is left unanswered, as a load generator leaves its requests in flight when
            // its time is up: the gateway then reads the end of a connection with an exchange under way and
            // writes its answer to a closed channel, branches that would otherwise first run for real.
            out.write(request);
        }
        return answered;
    }

    /** Reads responses with a {@code Content-Length} body; anything but 200 is an error. */
    static final class ResponseReader {
        private final InputStream in;
        private final byte[] buf = new byte[8192];
        private int start;
        private int end;

        ResponseReader(InputStream in) {
            this.in = in;
        }

        void readResponse() throws IOException {
            int headEnd;
            while ((headEnd = indexOfHeadEnd()) < 0) {
                fill();
            }
            String head = new String(buf, start, headEnd - start, StandardCharsets.ISO_8859_1);
            if (!head.startsWith("HTTP/1.1 200 ")) {
                throw new IOException("warm-up request answered: " + head.lines().findFirst().orElse(""));
            }
            long length = contentLength(head);
            start = headEnd + 4;
            while (length > 0) {
                if (start == end) {
                    fill();
                }
                int n = (int) Math.min(length, end - start);
                start += n;
                length -= n;
            }
        }

        private int indexOfHeadEnd() {
            for (int i = start; i + 3 < end; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private void fill() throws IOException {
            if (start == end) {
                start = end = 0;
            } else if (end == buf.length) {
                if (start == 0) {
                    throw new IOException("warm-up response head too large");
                }
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) {
                throw new IOException("the gateway closed a warm-up connection");
            }
            end += n;
        }

        private static long contentLength(String head) throws IOException {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                    return Long.parseLong(line.substring(colon + 1).trim());
                }
            }
            throw new IOException("warm-up response without Content-Length");
        }
    }

    /**
     * The upstream of the warm-up: answers every request head with a small fixed response, and closes each
     * connection after {@link #UPSTREAM_REQUESTS} answers, announcing it with {@code Connection: close}.
     */
    static final class StandIn implements AutoCloseable {
        private static final byte[] KEEP = response("keep-alive");
        private static final byte[] LAST = response("close");

        private final ServerSocket server;
        private final ExecutorService threads;
        private final List<Socket> open = new java.util.concurrent.CopyOnWriteArrayList<>();

        StandIn(ExecutorService threads) throws IOException {
            this.threads = threads;
            this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
            threads.execute(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        private static byte[] response(String connection) {
            return ("HTTP/1.1 200 OK\r\nServer: outpost-warmup\r\nContent-Type: text/plain\r\nContent-Length: "
                    + BODY.length + "\r\nConnection: " + connection + "\r\n\r\n" + new String(BODY, StandardCharsets.US_ASCII))
                    .getBytes(StandardCharsets.US_ASCII);
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    open.add(s);
                    threads.execute(() -> serve(s));
                } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
                    return;
                }
            }
        }

        /** Counts request heads by their blank line; the gateway sends GETs without a body, one at a time. */
        private void serve(Socket s) {
            try (s) {
                s.setTcpNoDelay(true);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[8192];
                int matched = 0;
                int answered = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (int i = 0; i < n; i++) {
                        matched = advance(matched, buf[i]);
                        if (matched == 4) {
                            matched = 0;
                            boolean last = ++answered == UPSTREAM_REQUESTS;
                            out.write(last ? LAST : KEEP);
                            if (last) {
                                return;
                            }
                        }
                    }
                }
            } catch (IOException e) {
                // The gateway closed the connection: nothing to answer.
            } finally {
                open.remove(s);
            }
        }

        /** How much of CR LF CR LF is matched after {@code b}, given {@code matched} before it. */
        static int advance(int matched, byte b) {
            if (b == '\r') {
                return matched == 2 ? 3 : 1;
            }
            if (b == '\n' && (matched == 1 || matched == 3)) {
                return matched + 1;
            }
            return 0;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
