package io.outpost.middleware;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import java.util.Locale;

/**
 * Sends clients to another scheme, typically from {@code http} to {@code https}. A request that
 * already arrived over the configured scheme passes on, so the middleware can sit on every
 * entry point without looping. The scheme of a request is what the client used to reach this
 * gateway ({@link Exchange#secure()}); a client's {@code X-Forwarded-Proto} is not trusted.
 *
 * <p>The {@code Location} is the configured scheme, the request's host (without its port), the
 * configured port unless it is the scheme's default, and the URI the client sent (before any
 * path middleware rewrote it). Status codes follow Traefik: GET and HEAD get 301 when
 * {@code permanent}, else 302; other methods get 308 or 307, which tell the client to repeat the
 * method and body.
 */
final class RedirectSchemeMiddleware implements Middleware {

    private static final String NO_HOST =
            LocalErrors.body(HttpResponseStatus.BAD_REQUEST, "no Host to build the redirect from");

    private final String scheme;
    private final boolean toSecure;
    /** {@code "https://"}, the part of every Location before the host. */
    private final String schemePrefix;
    /** {@code ":8443"}, or empty for the scheme's default port or none configured. */
    private final String portSuffix;
    private final HttpResponseStatus safeStatus;
    private final HttpResponseStatus unsafeStatus;

    RedirectSchemeMiddleware(String name, MiddlewareConfig.RedirectScheme config) {
        scheme = config.scheme().toLowerCase(Locale.ROOT);
        if (!scheme.matches("[a-z][a-z0-9+.-]*")) {
            throw Middlewares.invalid(name, "scheme: \"" + config.scheme() + "\" (expected: a URL scheme such as https)");
        }
        toSecure = scheme.equals("https");
        schemePrefix = scheme + "://";
        String suffix = "";
        if (config.port().isPresent()) {
            int port = config.port().getAsInt();
            if (port < 1 || port > 65535) {
                throw Middlewares.invalid(name, "port: " + port + " (expected: 1-65535)");
            }
            boolean defaultPort = (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
            suffix = defaultPort ? "" : ":" + port;
        }
        portSuffix = suffix;
        safeStatus = config.permanent() ? HttpResponseStatus.MOVED_PERMANENTLY : HttpResponseStatus.FOUND;
        unsafeStatus = config.permanent() ? HttpResponseStatus.PERMANENT_REDIRECT : HttpResponseStatus.TEMPORARY_REDIRECT;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        boolean alreadyThere = exchange.secure() ? toSecure : scheme.equals("http");
        if (alreadyThere) {
            next.proceed(exchange);
            return;
        }
        String host = exchange.host();
        if (host.isEmpty()) {
            exchange.respond(HttpResponseStatus.BAD_REQUEST, null, LocalErrors.JSON, NO_HOST);
            return;
        }
        String path = exchange.path();
        String query = exchange.query();
        boolean ipv6 = host.indexOf(':') >= 0;
        StringBuilder location = new StringBuilder(schemePrefix.length() + host.length() + portSuffix.length()
                + path.length() + query.length() + 4).append(schemePrefix);
        if (ipv6) {
            location.append('[').append(host).append(']');
        } else {
            location.append(host);
        }
        location.append(portSuffix).append(path.startsWith("/") ? path : "/");
        if (!query.isEmpty()) {
            location.append('?').append(query);
        }
        HttpHeaders headers = new DefaultHttpHeaders(false).set(HttpHeaderNames.LOCATION, location.toString());
        HttpMethod method = exchange.request().method();
        boolean safe = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
        exchange.respond(safe ? safeStatus : unsafeStatus, headers, null, null);
    }
}
