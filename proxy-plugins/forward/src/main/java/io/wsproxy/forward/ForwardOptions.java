package io.wsproxy.forward;

import io.wsproxy.spi.InvalidOptionsException;
import io.wsproxy.spi.OptionsReader;
import io.wsproxy.spi.RuleInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * A forward rule's options, validated and compiled once at load.
 *
 * @param allow           regexes a normalised url must match as a whole; self urls are always allowed
 * @param self            normalised urls that mean "this rule": executed on the rule's target, never dialled
 * @param maxUpstreams    forwarded servers per client connection (connections to the rule's target not counted)
 * @param queueBytes      what may wait for one upstream (also while it is dialled), and for the client
 * @param connectTimeout  TCP connect plus the WebSocket handshake of one upstream
 * @param maxMessageBytes the largest client message; larger ones close the client with 1009
 */
public record ForwardOptions(
        List<Pattern> allow,
        Set<String> self,
        int maxUpstreams,
        long queueBytes,
        Duration connectTimeout,
        long maxMessageBytes,
        OnUpstreamClose onUpstreamClose) {

    public static final int DEFAULT_MAX_UPSTREAMS = 16;
    public static final long DEFAULT_QUEUE_BYTES = 1 << 20;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;

    public ForwardOptions {
        allow = List.copyOf(allow);
        self = Set.copyOf(self);
    }

    public static ForwardOptions parse(RuleInfo rule, Map<String, Object> options) throws InvalidOptionsException {
        OptionsReader reader = new OptionsReader(options);
        List<Pattern> allow = compile(reader.strings("allow", List.of()));
        Set<String> self = normalise(reader.strings("self", List.of()));
        if (!self.isEmpty() && rule.target() == null) {
            throw new InvalidOptionsException("self", "self: a rule without a target has nowhere to execute "
                    + "self-forwards; give it a target or drop self");
        }
        int maxUpstreams = reader.integer("maxUpstreams", DEFAULT_MAX_UPSTREAMS, 1, 10_000);
        long queueBytes = reader.bytes("queueBytes", DEFAULT_QUEUE_BYTES, 1);
        Duration connectTimeout = reader.duration("connectTimeout", DEFAULT_CONNECT_TIMEOUT);
        if (connectTimeout.isZero()) {
            throw new InvalidOptionsException("connectTimeout", "connectTimeout: must be more than 0");
        }
        long maxMessageBytes = reader.bytes("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES, 1);
        OnUpstreamClose onClose = OnUpstreamClose.valueOf(
                reader.choice("onUpstreamClose", "close", Set.of("close", "event")).toUpperCase(Locale.ROOT));
        reader.rejectUnknown(ForwardPlugin.NAME);
        return new ForwardOptions(allow, self, maxUpstreams, queueBytes, connectTimeout, maxMessageBytes, onClose);
    }

    public boolean isSelf(UpstreamUrl url) {
        return self.contains(url.normalized());
    }

    /** Without {@code allow} only the self urls pass: the proxy must never be an open relay by default. */
    public boolean allows(UpstreamUrl url) {
        if (isSelf(url)) {
            return true;
        }
        for (Pattern pattern : allow) {
            if (pattern.matcher(url.normalized()).matches()) {
                return true;
            }
        }
        return false;
    }

    private static List<Pattern> compile(List<String> regexes) throws InvalidOptionsException {
        List<Pattern> patterns = new ArrayList<>(regexes.size());
        for (String regex : regexes) {
            try {
                patterns.add(Pattern.compile(regex));
            } catch (PatternSyntaxException e) {
                throw new InvalidOptionsException("allow", "allow: invalid regex '" + regex + "': "
                        + e.getDescription());
            }
        }
        return patterns;
    }

    private static Set<String> normalise(List<String> urls) throws InvalidOptionsException {
        try {
            return urls.stream().map(u -> UpstreamUrl.parse(u).normalized()).collect(Collectors.toSet());
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionsException("self", "self: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "forward options: allow " + allow + ", self " + self + ", maxUpstreams " + maxUpstreams
                + ", queueBytes " + queueBytes + ", connectTimeout " + connectTimeout.toMillis() + "ms, maxMessageBytes "
                + maxMessageBytes + ", onUpstreamClose " + onUpstreamClose.name().toLowerCase(Locale.ROOT);
    }
}
