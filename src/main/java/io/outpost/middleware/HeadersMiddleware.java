package io.outpost.middleware;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import java.util.Map;

/**
 * Sets or removes fixed headers on the request going to the service and on the response going
 * back, as Traefik's {@code customRequestHeaders}/{@code customResponseHeaders} do: a value
 * replaces every value the header had, and an empty value removes the header. Response headers
 * are applied to every response head, including answers the gateway or a later middleware gives
 * itself. Names and values are checked and encoded once, when the configuration is built.
 */
final class HeadersMiddleware implements Middleware, Exchange.ResponseListener {

    /** Headers that frame the message on the wire; changing them would corrupt the connection. */
    private static final java.util.Set<String> FRAMING =
            java.util.Set.of("content-length", "transfer-encoding", "connection", "upgrade");

    private final AsciiString[] requestNames;
    private final AsciiString[] requestValues;
    private final AsciiString[] responseNames;
    private final AsciiString[] responseValues;

    HeadersMiddleware(String name, io.outpost.config.MiddlewareConfig.Headers config) {
        int n = config.customRequestHeaders().size();
        requestNames = new AsciiString[n];
        requestValues = new AsciiString[n];
        fill(name, "customRequestHeaders", config.customRequestHeaders(), requestNames, requestValues);
        int m = config.customResponseHeaders().size();
        responseNames = new AsciiString[m];
        responseValues = new AsciiString[m];
        fill(name, "customResponseHeaders", config.customResponseHeaders(), responseNames, responseValues);
    }

    private static void fill(String middleware, String key, Map<String, String> headers, AsciiString[] names,
                             AsciiString[] values) {
        int i = 0;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String header = e.getKey();
            if (header.isEmpty() || !isToken(header)) {
                throw Middlewares.invalid(middleware, key + ": \"" + header + "\" (expected: a header name)");
            }
            if (FRAMING.contains(header.toLowerCase(java.util.Locale.ROOT))) {
                throw Middlewares.invalid(middleware, key + ": \"" + header
                        + "\" (expected: not a framing header; the gateway sets those itself)");
            }
            String value = e.getValue() == null ? "" : e.getValue();
            for (int c = 0; c < value.length(); c++) {
                char ch = value.charAt(c);
                if ((ch < ' ' && ch != '\t') || ch == 0x7f || ch > 0xff) {
                    throw Middlewares.invalid(middleware,
                            key + "." + header + ": value has a control or non-Latin-1 character");
                }
            }
            names[i] = AsciiString.cached(header);
            values[i] = value.isEmpty() ? null : AsciiString.cached(value);
            i++;
        }
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        apply(exchange.request().headers(), requestNames, requestValues);
        if (responseNames.length > 0) {
            exchange.onResponse(this);
        }
        next.proceed(exchange);
    }

    @Override
    public void onResponse(Exchange exchange, HttpResponse response) {
        apply(response.headers(), responseNames, responseValues);
    }

    private static void apply(HttpHeaders headers, AsciiString[] names, AsciiString[] values) {
        for (int i = 0; i < names.length; i++) {
            if (values[i] == null) {
                headers.remove(names[i]);
            } else {
                headers.set(names[i], values[i]);
            }
        }
    }
}
