package io.outpost.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.AsyncMapping;
import io.outpost.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS termination for one entry point: its certificates from files (reloaded when the files change)
 * and from ACME, mapped by SNI. {@link #newHandler} gives each accepted connection an SNI handler
 * that picks the certificate from the mapping current at the client hello, so a reload affects new
 * handshakes only and never breaks an open connection.
 *
 * <pre>{@code
 * EntryPointTls tls = EntryPointTls.load("websecure", config.tls().orElseThrow());
 * pipeline.addLast("tls", tls.newHandler(channel.alloc()));
 * scheduler.scheduleWithFixedDelay(tls::reloadIfChanged, 5, 5, TimeUnit.SECONDS);
 * }</pre>
 */
public final class EntryPointTls {

    private static final Logger log = LoggerFactory.getLogger(EntryPointTls.class);
    private static final int MAX_CLIENT_HELLO = 16 * 1024;
    private static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final String name;
    private final TlsConfig.EntryPoint settings;
    private final Executor tasks;
    private final FileStamps files;
    private List<CertifiedKey> fileCertificates = List.of();
    private List<CertifiedKey> acmeCertificates = List.of();
    private List<X509Certificate> clientCas = List.of();
    private Map<CertifiedKey, SslContext> contexts = new IdentityHashMap<>();
    private volatile SniMapping mapping = SniMapping.EMPTY;
    private FileStamps.Snapshot failedAt;

    private EntryPointTls(String name, TlsConfig.EntryPoint settings, Executor tasks) {
        this.name = name;
        this.settings = settings;
        this.tasks = tasks;
        List<Path> paths = new ArrayList<>();
        settings.certificates().forEach(c -> {
            paths.add(c.certFile());
            paths.add(c.keyFile());
        });
        settings.clientAuth().ifPresent(a -> paths.addAll(a.caFiles()));
        this.files = new FileStamps(paths);
    }

    /** Reads every file of {@code settings}; fails (naming the file) when one cannot be used. */
    public static EntryPointTls load(String name, TlsConfig.EntryPoint settings) throws IOException {
        EntryPointTls tls = new EntryPointTls(name, settings, TlsTasks.EXECUTOR);
        FileStamps.Snapshot stamps = tls.files.snapshot();
        tls.loadFiles();
        tls.files.loaded(stamps);
        return tls;
    }

    public String name() {
        return name;
    }

    /** A fresh handler for one accepted connection. */
    public ChannelHandler newHandler() {
        AsyncMapping<String, SslContext> lookup = (host, promise) -> {
            SslContext context = mapping.map(host);
            return context != null ? promise.setSuccess(context)
                    : promise.setFailure(new SSLHandshakeException("entry point " + name + " has no certificate"
                            + (host == null ? "" : " for " + host)));
        };
        return new SniHandler(lookup, MAX_CLIENT_HELLO, HANDSHAKE_TIMEOUT_MILLIS) {
            @Override
            protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
                SslHandler handler = context.newHandler(allocator, tasks);
                handler.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS);
                return handler;
            }
        };
    }

    /**
     * Reloads the certificate, key and CA files if any changed since the last successful load. A
     * failed load (for example a certificate written before its key) keeps the current certificates,
     * is logged once, and is tried again at the next call. Returns true when new certificates were
     * swapped in.
     */
    public synchronized boolean reloadIfChanged() {
        FileStamps.Snapshot now = files.snapshot();
        if (!files.changedSince(now) || now.equals(failedAt)) {
            return false;
        }
        try {
            loadFiles();
            files.loaded(now);
            failedAt = null;
            log.info("entry point {}: certificates reloaded", name);
            return true;
        } catch (IOException | RuntimeException e) {
            failedAt = now;
            log.warn("entry point {}: changed certificate files could not be loaded, the previous ones stay: {}",
                    name, e.getMessage());
            return false;
        }
    }

    /** Replaces the certificates ACME obtained for this entry point; they follow the file certificates. */
    public synchronized void acmeCertificates(List<CertifiedKey> certificates) {
        acmeCertificates = List.copyOf(certificates);
        rebuild();
    }

    /** The names this entry point currently serves a certificate for (for tests and the admin API). */
    public SslContext contextFor(String host) {
        return mapping.map(host);
    }

    private synchronized void loadFiles() throws IOException {
        List<CertifiedKey> certs = new ArrayList<>();
        for (TlsConfig.CertificateFiles f : settings.certificates()) {
            try {
                certs.add(CertifiedKey.load(f.certFile(), f.keyFile()));
            } catch (IOException e) {
                throw new IOException(f.certFile() + " / " + f.keyFile() + ": " + e.getMessage(), e);
            }
        }
        List<X509Certificate> cas = new ArrayList<>();
        if (settings.clientAuth().isPresent()) {
            for (Path ca : settings.clientAuth().get().caFiles()) {
                cas.addAll(Pem.certificates(ca));
            }
        }
        List<CertifiedKey> previousFiles = fileCertificates;
        List<X509Certificate> previousCas = clientCas;
        fileCertificates = certs;
        clientCas = cas;
        try {
            contexts = new IdentityHashMap<>();
            rebuild();
        } catch (RuntimeException e) {
            fileCertificates = previousFiles;
            clientCas = previousCas;
            throw e;
        }
    }

    private void rebuild() {
        Map<CertifiedKey, SslContext> next = new IdentityHashMap<>();
        List<SniMapping.Entry> entries = new ArrayList<>();
        for (List<CertifiedKey> group : List.of(fileCertificates, acmeCertificates)) {
            for (CertifiedKey key : group) {
                SslContext context = contexts.get(key);
                if (context == null) {
                    context = serverContext(key);
                }
                next.put(key, context);
                entries.add(new SniMapping.Entry(key, context));
            }
        }
        contexts = next;
        mapping = new SniMapping(entries);
    }

    private SslContext serverContext(CertifiedKey key) {
        SslContextBuilder builder = SslContextBuilder.forServer(key.key(), key.chain())
                .sslProvider(SslProvider.JDK)
                .protocols(TlsConfig.TLS_1_3.equals(settings.minVersion())
                        ? new String[] {TlsConfig.TLS_1_3} : new String[] {TlsConfig.TLS_1_3, TlsConfig.TLS_1_2})
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1));
        if (!settings.cipherSuites().isEmpty()) {
            builder.ciphers(settings.cipherSuites());
        }
        settings.clientAuth().ifPresent(auth -> {
            switch (auth.mode()) {
                case "require" -> builder.clientAuth(ClientAuth.REQUIRE).trustManager(clientCas);
                case "request" -> builder.clientAuth(ClientAuth.OPTIONAL).trustManager(clientCas);
                default -> builder.clientAuth(ClientAuth.NONE);
            }
        });
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException("entry point " + name + ": cannot use the certificate for "
                    + key.names() + ": " + e.getMessage(), e);
        }
    }
}
