package io.outpost.middleware.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * HTTP Basic authentication (RFC 7617) against {@code name:bcrypt-hash} users; the user becomes the
 * consumer. A bcrypt check costs tens of milliseconds by design, so it never runs on an event loop:
 * it runs on a small worker pool, and a credential that passed is remembered (as a SHA-256 of
 * user and password, in a bounded map) so that a client's following requests are checked on the loop
 * in microseconds. Unknown users are checked against a dummy hash, so timing does not reveal which
 * users exist.
 */
public final class BasicAuthMiddleware implements Middleware {

    private static final int REMEMBERED = 1024;
    private static final byte[] DUMMY = BCrypt.withDefaults().hash(10, new byte[16], "dummy".getBytes(StandardCharsets.UTF_8));

    private final Map<String, byte[]> users = new HashMap<>();
    private final Executor workers;
    private final boolean removeHeader;
    private final HttpHeaders challenge;
    private final String body;
    private final String busy = Rejections.body(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many password checks in progress");
    private final Map<String, String> verified = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED;
        }
    };

    public BasicAuthMiddleware(String name, MiddlewareConfig.BasicAuth config) {
        this(name, config, Workers.POOL);
    }

    BasicAuthMiddleware(String name, MiddlewareConfig.BasicAuth config, Executor workers) {
        for (int i = 0; i < config.users().size(); i++) {
            String entry = config.users().get(i);
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("middleware " + name + ": users[" + i + "]: expected NAME:BCRYPT-HASH");
            }
            users.put(entry.substring(0, colon), entry.substring(colon + 1).getBytes(StandardCharsets.UTF_8));
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("middleware " + name + ": users: empty (expected: at least one user)");
        }
        this.workers = workers;
        this.removeHeader = config.removeHeader();
        this.challenge = Rejections.header(HttpHeaderNames.WWW_AUTHENTICATE,
                "Basic realm=\"" + config.realm() + "\", charset=\"UTF-8\"");
        this.body = Rejections.body(HttpResponseStatus.UNAUTHORIZED, null);
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        String[] credentials = credentials(exchange.header("Authorization"));
        if (credentials == null) {
            reject(exchange);
            return;
        }
        String user = credentials[0];
        String fingerprint = fingerprint(user, credentials[1]);
        String known;
        synchronized (verified) {
            known = verified.get(fingerprint);
        }
        if (known != null) {
            accept(exchange, next, known);
            return;
        }
        byte[] hash = users.get(user);
        try {
            workers.execute(() -> check(exchange, next, user, credentials[1], hash, fingerprint));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            exchange.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, null, Rejections.JSON, busy);
        }
    }

    private void check(Exchange exchange, Next next, String user, String password, byte[] hash, String fingerprint) {
        boolean ok;
        try {
            ok = BCrypt.verifyer().verify(bcryptInput(password), hash != null ? hash : DUMMY).verified && hash != null;
        } catch (RuntimeException e) {
            ok = false; // a hash the library cannot read: this credential does not pass, and the client gets an answer
        }
        if (ok) {
            synchronized (verified) {
                verified.put(fingerprint, user);
            }
            exchange.eventLoop().execute(() -> accept(exchange, next, user));
        } else {
            reject(exchange);
        }
    }

    /**
     * The password bytes bcrypt reads: at most the first 72, as in OpenBSD, Go (Traefik) and htpasswd. The
     * library throws for longer input instead, which would leave the request without an answer.
     */
    static byte[] bcryptInput(String password) {
        byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= 72 ? bytes : java.util.Arrays.copyOf(bytes, 72);
    }

    private void accept(Exchange exchange, Next next, String user) {
        Consumers.set(exchange, user);
        if (removeHeader) {
            exchange.request().headers().remove(HttpHeaderNames.AUTHORIZATION);
        }
        next.proceed(exchange);
    }

    private void reject(Exchange exchange) {
        exchange.respond(HttpResponseStatus.UNAUTHORIZED, challenge, Rejections.JSON, body);
    }

    /** {user, password} from {@code Authorization: Basic ...}, or null when absent or malformed. */
    static String[] credentials(String authorization) {
        if (authorization == null || authorization.length() <= 6
                || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon <= 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    private static String fingerprint(String user, String password) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(user.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            return Base64.getEncoder().encodeToString(sha.digest(password.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Two daemon threads for bcrypt checks, with a bounded queue: a flood of guesses gets 401, not memory. */
    static final class Workers {
        static final ExecutorService POOL = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "outpost-bcrypt");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());

        private Workers() {
        }
    }
}
