package io.outpost.middleware.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.QueryStringEncoder;
import io.outpost.config.MiddlewareConfig;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Identifies the consumer by an API key sent in a header (default {@code X-API-Key}) or a query
 * parameter. The configuration holds only SHA-256 hashes of the keys; the presented key is hashed and
 * compared with every configured hash in constant time, so neither the hashes nor the timing reveal a
 * key. The key is removed before forwarding unless {@code forwardKey} is set.
 */
public final class ApiKeyMiddleware implements Middleware {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private final String header;
    private final String query;
    private final boolean forwardKey;
    private final byte[][] hashes;
    private final String[] consumers;
    private final io.netty.handler.codec.http.HttpHeaders challenge;
    private final String missing;
    private final String unknown;

    public ApiKeyMiddleware(String name, MiddlewareConfig.ApiKey config) {
        if (config.keys().isEmpty()) {
            throw new IllegalArgumentException("middleware " + name + ": keys: empty (expected: at least one key)");
        }
        header = config.header();
        query = config.query().orElse(null);
        forwardKey = config.forwardKey();
        hashes = new byte[config.keys().size()][];
        consumers = new String[hashes.length];
        for (int i = 0; i < hashes.length; i++) {
            MiddlewareConfig.ApiKeyEntry e = config.keys().get(i);
            try {
                hashes[i] = HexFormat.of().parseHex(e.sha256());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("middleware " + name + ": keys[" + i + "].sha256: not hex", ex);
            }
            if (hashes[i].length != 32) {
                throw new IllegalArgumentException("middleware " + name + ": keys[" + i + "].sha256: expected 64 hex digits");
            }
            consumers[i] = e.consumer();
        }
        challenge = Rejections.header(HttpHeaderNames.WWW_AUTHENTICATE, "ApiKey header=\"" + header + "\"");
        missing = Rejections.body(HttpResponseStatus.UNAUTHORIZED, "missing API key");
        unknown = Rejections.body(HttpResponseStatus.UNAUTHORIZED, "unknown API key");
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        boolean fromQuery = false;
        String key = exchange.header(header);
        if (key == null && query != null) {
            key = queryValue(exchange.query(), query);
            fromQuery = key != null;
        }
        if (key == null || key.isEmpty()) {
            exchange.respond(HttpResponseStatus.UNAUTHORIZED, challenge, Rejections.JSON, missing);
            return;
        }
        String consumer = lookup(key);
        if (consumer == null) {
            exchange.respond(HttpResponseStatus.UNAUTHORIZED, challenge, Rejections.JSON, unknown);
            return;
        }
        Consumers.set(exchange, consumer);
        if (!forwardKey) {
            if (fromQuery) {
                exchange.request().setUri(withoutParameter(exchange.request().uri(), query));
            } else {
                exchange.request().headers().remove(header);
            }
        }
        next.proceed(exchange);
    }

    /** The consumer whose hash matches {@code key}, comparing with every hash so that timing tells nothing. */
    String lookup(String key) {
        MessageDigest sha = SHA256.get();
        byte[] digest = sha.digest(key.getBytes(StandardCharsets.UTF_8));
        String found = null;
        for (int i = 0; i < hashes.length; i++) {
            if (MessageDigest.isEqual(digest, hashes[i]) && found == null) {
                found = consumers[i];
            }
        }
        return found;
    }

    private static String queryValue(String rawQuery, String name) {
        if (rawQuery.isEmpty() || !rawQuery.contains(name)) {
            return null;
        }
        try {
            List<String> values = new QueryStringDecoder(rawQuery, false).parameters().get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        } catch (IllegalArgumentException e) {
            return null; // bad percent-encoding: no usable key
        }
    }

    static String withoutParameter(String uri, String name) {
        QueryStringDecoder decoder = new QueryStringDecoder(uri);
        QueryStringEncoder encoder = new QueryStringEncoder(decoder.rawPath());
        for (Map.Entry<String, List<String>> p : decoder.parameters().entrySet()) {
            if (!p.getKey().equals(name)) {
                p.getValue().forEach(v -> encoder.addParam(p.getKey(), v));
            }
        }
        return encoder.toString();
    }
}
