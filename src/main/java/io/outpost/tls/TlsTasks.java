package io.outpost.tls;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the expensive steps of TLS handshakes run (the JDK engine's delegated tasks: key exchange,
 * signatures, certificate checks), so that an event loop never spends milliseconds on crypto.
 * Bounded to twice the cores; handshakes beyond that queue.
 */
final class TlsTasks {

    private static final AtomicInteger THREADS = new AtomicInteger();

    static final ExecutorService EXECUTOR;

    static {
        int n = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "outpost-tls-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        EXECUTOR = pool;
    }

    private TlsTasks() {}
}
