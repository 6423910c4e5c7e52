package io.outpost.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Header rewriting between hops: removes the hop-by-hop headers of RFC 9110 section 7.6.1 (the
 * fixed list plus every name listed in {@code Connection}) and adds the forwarding headers.
 */
final class ProxyHeaders {

    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_FORWARDED_PORT = AsciiString.cached("x-forwarded-port");
    static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    static final AsciiString VIA_VALUE = AsciiString.cached("1.1 outpost");
    static final AsciiString HTTP = AsciiString.cached("http");
    static final AsciiString HTTPS = AsciiString.cached("https");

    private ProxyHeaders() {
    }

    /**
     * Removes a response's hop-by-hop headers. {@code Transfer-Encoding} goes too: the codec on the
     * next hop frames the body itself, and {@link #frameBody} says how.
     */
    static void removeHopByHop(HttpHeaders headers) {
        removeHopByHop(headers, false);
    }

    /**
     * Removes a request's hop-by-hop headers, as {@link #removeHopByHop}, except that a
     * {@code Connection} option naming a forwarding header ({@link #governedByTrust}) is ignored, as
     * Traefik ignores it: whether those headers pass is decided by {@link #addForwarded} from the
     * client's trust. Honouring the option would let a trusted proxy's connection option drop the
     * chain it sent, so that the service took that proxy's address for the client's.
     */
    static void removeRequestHopByHop(HttpHeaders headers) {
        removeHopByHop(headers, true);
    }

    private static void removeHopByHop(HttpHeaders headers, boolean request) {
        if (headers instanceof RawHeaders raw && raw.onlyValues(HttpHeaderNames.CONNECTION,
                HttpHeaderValues.KEEP_ALIVE, HttpHeaderValues.CLOSE)) {
            // No connection options to remove besides the field itself: the common case, answered
            // from the head's bytes.
            headers.remove(HttpHeaderNames.CONNECTION);
        } else if (headers.contains(HttpHeaderNames.CONNECTION)) {
            java.util.List<String> named = null;
            for (java.util.Iterator<String> it = headers.valueStringIterator(HttpHeaderNames.CONNECTION); it.hasNext(); ) {
                String value = it.next();
                if (isPlain(value)) {
                    continue;
                }
                for (String token : value.split(",")) {
                    String name = token.trim();
                    if (!name.isEmpty() && !isPlain(name) && !frames(name) && !(request && governedByTrust(name))) {
                        if (named == null) {
                            named = new java.util.ArrayList<>(2);
                        }
                        named.add(name);
                    }
                }
            }
            if (named != null) {
                named.forEach(headers::remove);
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        if (headers instanceof RawHeaders raw) {
            raw.removeEach(HOP_BY_HOP, HOP_BY_HOP_FIRST_LETTERS);
        } else {
            for (CharSequence name : HOP_BY_HOP) {
                headers.remove(name);
            }
        }
    }

    /** The hop-by-hop fields removed whatever {@code Connection} lists. */
    private static final CharSequence[] HOP_BY_HOP = {KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION};
    private static final int HOP_BY_HOP_FIRST_LETTERS = RawHeaders.firstLetters(HOP_BY_HOP);

    /**
     * Whether a field says how the body is delimited. A {@code Connection} option naming it is
     * ignored: the body was read by that framing, and dropping the field would send the body on
     * undelimited, where the next hop reads it as the start of another request.
     */
    private static boolean frames(String name) {
        return name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding");
    }

    /**
     * Whether {@code name} is one of the headers {@link #addForwarded} keeps from a trusted client and
     * removes from any other ({@link #UNTRUSTED}), also when written with {@code _} for {@code -}.
     */
    private static boolean governedByTrust(String name) {
        for (CharSequence governed : UNTRUSTED) {
            if (sameLoosely(name, governed)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code name} is {@code lowerCase} ignoring case, with an {@code _} matching a {@code -}. */
    private static boolean sameLoosely(String name, CharSequence lowerCase) {
        if (name.length() != lowerCase.length()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char a = name.charAt(i);
            char b = lowerCase.charAt(i);
            if (a != b && !(a >= 'A' && a <= 'Z' && a + 32 == b) && !(a == '_' && b == '-')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPlain(String connection) {
        return connection.equalsIgnoreCase("keep-alive") || connection.equalsIgnoreCase("close");
    }

    /**
     * Re-frames a message whose body streams: a chunked incoming body stays chunked on the next
     * hop unless it has a length. Returns whether the incoming message was chunked.
     */
    static boolean frameBody(HttpHeaders headers) {
        String te = headers.get(HttpHeaderNames.TRANSFER_ENCODING);
        if (te == null) {
            return false;
        }
        boolean chunked = headers.containsValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED, true);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return chunked;
    }

    /**
     * Whether the connection stays open after this message, by its version and Connection header:
     * Netty's {@code HttpUtil.isKeepAlive}, which raw headers answer without a copy of any value.
     */
    static boolean keepAlive(io.netty.handler.codec.http.HttpMessage message) {
        HttpHeaders headers = message.headers();
        if (headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
            return false;
        }
        return message.protocolVersion().isKeepAliveDefault()
                || headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE, true);
    }

    /**
     * What an untrusted client's request loses before the gateway sets its own values, lower case (and
     * also when written with {@code _} for {@code -}, as Traefik removes them):
     * the forwarding headers Traefik removes ({@code forwardedHeaders}, {@code X-Forwarded-Scheme} and
     * {@code X-Scheme} included: Rack reads the first), and RFC 7239's {@code Forwarded}, which says the
     * same things (for, host, proto) to services that read it.
     */
    private static final CharSequence[] UNTRUSTED = {
            X_FORWARDED_FOR, X_FORWARDED_PROTO, X_FORWARDED_HOST, X_FORWARDED_PORT,
            AsciiString.cached("x-forwarded-prefix"), AsciiString.cached("x-forwarded-server"),
            AsciiString.cached("x-forwarded-uri"), AsciiString.cached("x-forwarded-method"),
            AsciiString.cached("x-forwarded-tls-client-cert"), AsciiString.cached("x-forwarded-tls-client-cert-info"),
            AsciiString.cached("x-forwarded-scheme"), AsciiString.cached("x-scheme"),
            X_REAL_IP, AsciiString.cached("forwarded")};
    private static final int UNTRUSTED_FIRST_LETTERS = RawHeaders.firstLetters(UNTRUSTED);

    /**
     * Sets the forwarding headers. From a {@code trusted} client (an entry point's
     * {@code forwardedHeaders}: a proxy in front of the gateway), its {@code X-Forwarded-For} chain
     * is kept and extended, and the {@code X-Forwarded-*}, {@code X-Real-Ip} and {@code Forwarded}
     * values it sent are kept. From any other client they are all removed first, so that it cannot
     * pose as another address, host or scheme to the service, and the gateway's own values replace
     * them. The gateway writes no {@code Forwarded} of its own, as neither Traefik nor Envoy does: a
     * {@code Forwarded} header that reaches a service came from a trusted proxy.
     */
    static void addForwarded(HttpHeaders headers, String clientIp, boolean secure, String host, boolean trusted) {
        AsciiString proto = secure ? HTTPS : HTTP;
        if (!trusted) {
            if (headers instanceof RawHeaders raw) {
                raw.removeAll(UNTRUSTED, UNTRUSTED_FIRST_LETTERS);
            } else {
                RawHeaders.removeAll(headers, UNTRUSTED);
            }
            headers.add(X_FORWARDED_FOR, clientIp);
            headers.add(X_FORWARDED_PROTO, proto);
            if (host != null && !host.isEmpty()) {
                headers.add(X_FORWARDED_HOST, host);
            }
            headers.add(X_FORWARDED_PORT, port(host, secure));
            headers.add(X_REAL_IP, clientIp);
        } else {
            String prior = headers.get(X_FORWARDED_FOR);
            headers.set(X_FORWARDED_FOR, prior == null ? clientIp : prior + ", " + clientIp);
            String sentProto = headers.get(X_FORWARDED_PROTO);
            if (sentProto == null) {
                headers.add(X_FORWARDED_PROTO, proto);
            }
            if (host != null && !host.isEmpty() && !headers.contains(X_FORWARDED_HOST)) {
                headers.add(X_FORWARDED_HOST, host);
            }
            if (!headers.contains(X_FORWARDED_PORT)) {
                headers.add(X_FORWARDED_PORT, port(host, sentProto == null ? secure : HTTPS.contentEqualsIgnoreCase(sentProto)));
            }
            if (!headers.contains(X_REAL_IP)) {
                headers.add(X_REAL_IP, clientIp);
            }
        }
        addVia(headers);
    }

    /** The port of {@code authority}, else the scheme's default (as Traefik's X-Forwarded-Port). */
    static String port(String authority, boolean https) {
        if (authority != null) {
            int colon = authority.lastIndexOf(':');
            if (colon >= 0 && colon < authority.length() - 1 && colon > authority.lastIndexOf(']')) {
                String last = lastPort;
                int length = authority.length() - colon - 1;
                if (last.length() == length && authority.regionMatches(colon + 1, last, 0, length)) {
                    return last;
                }
                return lastPort = authority.substring(colon + 1);
            }
        }
        return https ? "443" : "80";
    }

    /**
     * The port {@link #port} returned last: most requests name the port of the entry point they
     * came in on, so this spares a string per request. Read and written without a lock by every
     * event loop; a lost update only costs a substring.
     */
    private static String lastPort = "80";

    /** {@link #prepareResponse}: the upstream connection may carry another request after this response. */
    static final int UPSTREAM_REUSABLE = 1;
    /** {@link #prepareResponse}: the client connection must close after this response. */
    static final int CLIENT_MUST_CLOSE = 2;

    /**
     * Turns an upstream's response head into the one the client gets: hop-by-hop headers out, body
     * framing fixed (none for 204 and 1xx; a body delimited by the upstream closing becomes chunked
     * for an HTTP/1.1 client), HTTP/1.1, and {@code Via}. Returns {@link #UPSTREAM_REUSABLE} and
     * {@link #CLIENT_MUST_CLOSE} flags.
     */
    static int prepareResponse(io.netty.handler.codec.http.HttpResponse response,
                               io.netty.handler.codec.http.HttpRequest request) {
        int flags = keepAlive(response) ? UPSTREAM_REUSABLE : 0;
        int status = response.status().code();
        HttpHeaders headers = response.headers();
        removeHopByHop(headers);
        boolean chunked = frameBody(headers);
        if (status == 204 || (status >= 100 && status < 200)) {
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        } else if (!chunked && !headers.contains(HttpHeaderNames.CONTENT_LENGTH) && status != 304
                && !io.netty.handler.codec.http.HttpMethod.HEAD.equals(request.method())) {
            // The upstream delimits the body by closing: re-frame it for a persistent client.
            flags &= ~UPSTREAM_REUSABLE;
            if (request.protocolVersion().equals(io.netty.handler.codec.http.HttpVersion.HTTP_1_1)) {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                flags |= CLIENT_MUST_CLOSE;
            }
        }
        response.setProtocolVersion(io.netty.handler.codec.http.HttpVersion.HTTP_1_1);
        addVia(headers);
        return flags;
    }

    static void addVia(HttpHeaders headers) {
        String prior = headers.get(HttpHeaderNames.VIA);
        if (prior == null) {
            headers.set(HttpHeaderNames.VIA, VIA_VALUE);
        } else {
            headers.set(HttpHeaderNames.VIA, prior + ", " + VIA_VALUE);
        }
    }
}
