package io.outpost.tls;

import io.outpost.config.TlsConfig;
import java.io.IOException;
import java.net.URL;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.provider.AcmeProvider;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * Obtains one certificate from an ACME CA with acme4j: logs in (registering the account the first
 * time), orders, answers each HTTP-01 challenge through {@link Http01Challenges}, and finalizes
 * with a fresh key. Every call blocks on the network, so it runs on the resolver's own thread and
 * never on an event loop.
 */
final class AcmeClient {

    private static final Duration WAIT = Duration.ofSeconds(90);

    static {
        // acme4j makes keys and CSRs with the BouncyCastle provider, by name.
        if (java.security.Security.getProvider("BC") == null) {
            java.security.Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
        }
    }

    private final String resolver;
    private final TlsConfig.Acme config;
    private final AcmeStorage storage;
    private final Http01Challenges challenges;
    private Login login;

    AcmeClient(String resolver, TlsConfig.Acme config, AcmeStorage storage, Http01Challenges challenges) {
        this.resolver = resolver;
        this.config = config;
        this.storage = storage;
        this.challenges = challenges;
    }

    /** A new certificate for {@code domains}, already stored. */
    CertifiedKey obtain(List<String> domains) throws AcmeException, IOException, InterruptedException {
        Order order = login().newOrder().domains(domains).create();
        for (Authorization auth : order.getAuthorizations()) {
            if (auth.getStatus() != Status.VALID) {
                authorize(auth);
            }
        }
        order.waitUntilReady(WAIT);
        KeyPair domainKey = generate("RSA", new java.security.spec.RSAKeyGenParameterSpec(2048, java.security.spec.RSAKeyGenParameterSpec.F4));
        order.execute(domainKey);
        Status status = order.waitForCompletion(WAIT);
        if (status != Status.VALID) {
            throw new AcmeException("order for " + domains + " ended " + status
                    + order.getError().map(p -> ": " + p).orElse(""));
        }
        List<X509Certificate> chain = order.getCertificate().getCertificateChain();
        storage.certificate(domains, chain, domainKey.getPrivate());
        return CertifiedKey.of(chain, domainKey.getPrivate());
    }

    private void authorize(Authorization auth) throws AcmeException, InterruptedException {
        Http01Challenge challenge = auth.findChallenge(Http01Challenge.class).orElseThrow(() -> new AcmeException(
                "the CA offers no http-01 challenge for " + auth.getIdentifier().getDomain()));
        String domain = auth.getIdentifier().getDomain();
        challenges.add(config.httpChallengeEntryPoint(), domain, challenge.getToken(), challenge.getAuthorization());
        try {
            challenge.trigger();
            Status status = auth.waitForCompletion(WAIT);
            if (status != Status.VALID) {
                throw new AcmeException("http-01 challenge for " + auth.getIdentifier().getDomain() + " ended "
                        + status + challenge.getError().map(p -> ": " + p).orElse(""));
            }
        } finally {
            challenges.remove(domain, challenge.getToken());
        }
    }

    private Login login() throws AcmeException, IOException {
        if (login != null) {
            return login;
        }
        Session session = new Session(config.caServer(), provider());
        Optional<AcmeStorage.Account> stored = storage.account()
                .filter(a -> a.caServer().equals(config.caServer().toString()));
        if (stored.isPresent()) {
            login = session.login(new URL(stored.get().url()), AcmeStorage.keyPair(stored.get()));
            return login;
        }
        KeyPair accountKey = generate("EC", new java.security.spec.ECGenParameterSpec("secp256r1"));
        AccountBuilder builder = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey);
        config.email().ifPresent(builder::addEmail);
        Account account = builder.create(session);
        storage.account(accountKey, account.getLocation().toString(), config.caServer().toString());
        login = session.login(account.getLocation(), accountKey);
        return login;
    }

    /** A key pair from the JDK's providers (see {@link Pem}: BouncyCastle's keys do not suit the JDK's TLS). */
    private static KeyPair generate(String algorithm, java.security.spec.AlgorithmParameterSpec spec) throws IOException {
        try {
            java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance(algorithm);
            generator.initialize(spec);
            return generator.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot make a " + algorithm + " key: " + e.getMessage(), e);
        }
    }

    /** The JDK's trust store, or only {@code caCertificates} when they are configured (a private CA). */
    private AcmeProvider provider() throws IOException {
        if (config.caCertificates().isEmpty()) {
            return new GenericAcmeProvider();
        }
        SSLContext ssl = trusting(config.caCertificates());
        return new GenericAcmeProvider() {
            @Override
            protected HttpConnector createHttpConnector(NetworkSettings settings) {
                return new HttpConnector(settings) {
                    @Override
                    public HttpClient.Builder createClientBuilder() {
                        return super.createClientBuilder().sslContext(ssl);
                    }
                };
            }
        };
    }

    private SSLContext trusting(List<Path> files) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Path file : files) {
                for (X509Certificate cert : Pem.certificates(file)) {
                    store.setCertificateEntry("ca-" + i++, cert);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("resolver " + resolver + ": caCertificates are unusable: " + e.getMessage(), e);
        }
    }
}
