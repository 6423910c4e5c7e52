package io.outpost.middleware.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.outpost.config.RequestKey;
import io.outpost.middleware.Exchange;
import java.util.List;

/** Reads a {@link RequestKey} from an exchange, including {@code claim:N} and {@code consumer}. */
public final class RequestKeys {

    private RequestKeys() {
    }

    /** The key's value in {@code exchange}, or null when the request does not carry it. */
    public static String value(RequestKey key, Exchange exchange) {
        return switch (key.source()) {
            case CLIENT_IP -> exchange.clientIp();
            case HEADER -> exchange.header(key.name());
            case CLAIM -> Claims.string(exchange, key.name());
            case CONSUMER -> Consumers.of(exchange);
            case QUERY -> {
                List<String> values;
                try {
                    values = new QueryStringDecoder(exchange.query(), false).parameters().get(key.name());
                } catch (IllegalArgumentException e) {
                    values = null; // bad percent-encoding: the request does not carry a usable key
                }
                yield values == null || values.isEmpty() ? null : values.get(0);
            }
            case COOKIE -> {
                String header = exchange.header(HttpHeaderNames.COOKIE.toString());
                String found = null;
                if (header != null) {
                    for (Cookie c : ServerCookieDecoder.LAX.decodeAll(header)) {
                        if (c.name().equals(key.name())) {
                            found = c.value();
                            break;
                        }
                    }
                }
                yield found;
            }
        };
    }
}
