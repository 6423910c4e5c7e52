package io.outpost.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which certificate answers a TLS client hello, by its SNI host name: an exact name first, then a
 * wildcard ({@code *.example.com} covers exactly one more label), else the default. Immutable; a
 * reload builds a new one and swaps it in, so a handshake never sees half of a change.
 */
final class SniMapping implements Mapping<String, SslContext> {

    /** One certificate's names and the context that serves it. */
    record Entry(CertifiedKey key, SslContext context) {}

    static final SniMapping EMPTY = new SniMapping(List.of());

    private final Map<String, SslContext> exact = new HashMap<>();
    private final Map<String, SslContext> wildcard = new HashMap<>();
    private final SslContext fallback;

    /** The first entry is the default; for a name that several entries carry, the first wins. */
    SniMapping(List<Entry> entries) {
        for (Entry e : entries) {
            for (String name : e.key().names()) {
                if (name.startsWith("*.")) {
                    wildcard.putIfAbsent(name.substring(2), e.context());
                } else {
                    exact.putIfAbsent(name, e.context());
                }
            }
        }
        fallback = entries.isEmpty() ? null : entries.get(0).context();
    }

    /** The context for {@code hostname} (null when the client sent no SNI); null when there is none at all. */
    @Override
    public SslContext map(String hostname) {
        if (hostname == null || hostname.isEmpty()) {
            return fallback;
        }
        String name = hostname.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        SslContext hit = exact.get(name);
        if (hit != null) {
            return hit;
        }
        int dot = name.indexOf('.');
        if (dot > 0) {
            hit = wildcard.get(name.substring(dot + 1));
            if (hit != null) {
                return hit;
            }
        }
        return fallback;
    }

    boolean isEmpty() {
        return fallback == null;
    }
}
