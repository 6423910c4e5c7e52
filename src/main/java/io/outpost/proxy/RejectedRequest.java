package io.outpost.proxy;

import io.netty.handler.codec.http.HttpRequest;

/**
 * A request the gateway refused before it became an exchange (a malformed head, a bad {@code Host},
 * an unsupported transfer coding), as its access-log line tells it. Whatever the head did not
 * yield is empty: a request line that could not be parsed leaves method, path and request id empty;
 * a head refused after its request line was read (fields too large, two {@code Content-Length}s)
 * keeps that line's method and path, and nothing from its fields.
 */
record RejectedRequest(String requestId, String entryPoint, String clientIp, String method, String host, String path,
                       String uri, int status, long responseBytes) implements AccessLog.Entry {

    /** {@code info}: the routing view of the target, null when it could not be read. */
    static RejectedRequest of(HttpRequest request, RequestInfo info, String entryPoint, String clientIp, int status,
                              long responseBytes) {
        if (!request.decoderResult().isSuccess()) {
            if (request instanceof ServerCodec.RefusedHead head && head.lineRead()) {
                return new RejectedRequest("", entryPoint, clientIp, head.method().name(), "", pathOf(head.uri()),
                        head.uri(), status, responseBytes);
            }
            return new RejectedRequest("", entryPoint, clientIp, "", "", "", "", status, responseBytes);
        }
        String uri = request.uri();
        String path = info != null ? info.path() : pathOf(uri);
        String requestId = request.headers().get(ProxyHeaders.X_REQUEST_ID);
        return new RejectedRequest(requestId == null ? "" : requestId, entryPoint, clientIp, request.method().name(),
                info == null ? "" : info.host(), path, uri, status, responseBytes);
    }

    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    @Override
    public long requestBytes() {
        return 0;
    }

    @Override
    public String routerName() {
        return "";
    }

    @Override
    public String serviceName() {
        return "";
    }

    @Override
    public String upstream() {
        return "";
    }
}
