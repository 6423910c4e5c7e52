package io.outpost.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.outpost.config.TlsConfig;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS from the gateway to https:// endpoints of one load balancer: which CAs are trusted, which
 * client certificate is shown (mTLS), and which name is sent as SNI and verified. Host names are
 * always verified, unless {@code insecureSkipVerify} turns all verification off.
 *
 * <pre>{@code
 * UpstreamTls tls = UpstreamTls.of(lb.tls().orElse(TlsConfig.Upstream.DEFAULT));
 * pipeline.addFirst("tls", tls.newHandler(ch.alloc(), "10.0.0.7", 8443));
 * }</pre>
 */
public final class UpstreamTls {

    private static final Logger log = LoggerFactory.getLogger(UpstreamTls.class);
    private static volatile UpstreamTls defaults;

    private final SslContext context;
    private final Optional<String> serverName;
    private final String id;

    private UpstreamTls(SslContext context, Optional<String> serverName, String id) {
        this.context = context;
        this.serverName = serverName;
        this.id = id;
    }

    /** The JDK's trust store, no client certificate, SNI from the endpoint's host. */
    public static UpstreamTls defaults() {
        UpstreamTls d = defaults;
        if (d == null) {
            try {
                d = of(TlsConfig.Upstream.DEFAULT);
            } catch (IOException e) {
                throw new IllegalStateException("the JDK's default TLS settings are unusable", e);
            }
            defaults = d;
        }
        return d;
    }

    /**
     * The TLS that {@code owner} (for example "service pos" or "middleware sso") configures for its
     * https URLs: null (the defaults) when it sets none. Reading its files can fail, which rejects
     * the configuration snapshot with the owner's name.
     */
    public static UpstreamTls configured(String owner, Optional<TlsConfig.Upstream> settings) {
        if (settings.isEmpty()) {
            return null;
        }
        try {
            return of(settings.get());
        } catch (IOException e) {
            throw new IllegalStateException(owner + ": upstream TLS: " + e.getMessage(), e);
        }
    }

    /** Reads the CA and client certificate files of {@code settings}. */
    public static UpstreamTls of(TlsConfig.Upstream settings) throws IOException {
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols(TlsConfig.TLS_1_3, TlsConfig.TLS_1_2)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1));
        if (settings.insecureSkipVerify()) {
            log.warn("upstream TLS: certificate verification is OFF (insecureSkipVerify); traffic can be read and changed on the way");
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else {
            builder.endpointIdentificationAlgorithm("HTTPS");
            if (!settings.caFiles().isEmpty()) {
                List<X509Certificate> cas = new ArrayList<>();
                for (var file : settings.caFiles()) {
                    cas.addAll(Pem.certificates(file));
                }
                builder.trustManager(cas);
            }
        }
        if (settings.clientCertificate().isPresent()) {
            TlsConfig.CertificateFiles files = settings.clientCertificate().get();
            CertifiedKey client = CertifiedKey.load(files.certFile(), files.keyFile());
            builder.keyManager(client.key(), client.chain());
        }
        try {
            return new UpstreamTls(builder.build(), settings.serverName(),
                    settings.equals(TlsConfig.Upstream.DEFAULT) ? "" : Integer.toHexString(settings.hashCode()));
        } catch (SSLException e) {
            throw new IOException("upstream TLS settings are unusable: " + e.getMessage(), e);
        }
    }

    /**
     * Tells connection pools apart: endpoints with the same address but other TLS settings must not
     * share connections. Empty for the defaults.
     */
    public String id() {
        return id;
    }

    /**
     * A handler for a new connection to {@code host:port}. The handshake's expensive steps run on a
     * TLS task thread, not on the connection's event loop.
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port) {
        String sni = serverName.orElse(host);
        SslHandler handler = context.newHandler(alloc, sni, port, TlsTasks.EXECUTOR);
        SSLEngine engine = handler.engine();
        SSLParameters params = engine.getSSLParameters();
        if (!isIpLiteral(sni)) {
            params.setServerNames(List.of(new SNIHostName(sni)));
        }
        engine.setSSLParameters(params);
        return handler;
    }

    private static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("[0-9.]+");
    }
}
