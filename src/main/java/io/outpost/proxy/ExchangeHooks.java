package io.outpost.proxy;

import io.netty.handler.codec.http.HttpResponse;
import io.outpost.middleware.Exchange;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What middlewares hang on an exchange: attributes for later steps, and listeners for the response
 * head and for the end. Made only for exchanges that use them, so a plain request allocates none.
 */
final class ExchangeHooks {

    private Map<String, Object> attributes;
    private Exchange.ResponseListener[] responseListeners;
    private Exchange.CompletionListener[] completionListeners;

    Object attribute(String key) {
        return attributes == null ? null : attributes.get(key);
    }

    void attribute(String key, Object value) {
        if (attributes == null) {
            attributes = new HashMap<>(4);
        }
        attributes.put(key, value);
    }

    void onResponse(Exchange.ResponseListener listener) {
        responseListeners = responseListeners == null
                ? new Exchange.ResponseListener[] {listener} : grow(responseListeners, listener);
    }

    void onComplete(Exchange.CompletionListener listener) {
        completionListeners = completionListeners == null
                ? new Exchange.CompletionListener[] {listener} : grow(completionListeners, listener);
    }

    void fireResponse(Exchange exchange, HttpResponse response) {
        if (responseListeners != null) {
            for (Exchange.ResponseListener l : responseListeners) {
                l.onResponse(exchange, response);
            }
        }
    }

    void fireComplete(Exchange exchange, int status, long durationNanos) {
        if (completionListeners != null) {
            for (Exchange.CompletionListener l : completionListeners) {
                l.onComplete(exchange, status, durationNanos);
            }
        }
    }

    private static <T> T[] grow(T[] listeners, T listener) {
        T[] grown = Arrays.copyOf(listeners, listeners.length + 1);
        grown[listeners.length] = listener;
        return grown;
    }
}
