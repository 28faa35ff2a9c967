package io.latchkey.query.rest;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.support.events.EventWindows;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.axonframework.eventhandling.DomainEventMessage;

/**
 * Where a page of a key's history ends: the next sequence of each of its two streams, which of them the listing
 * shows, and whose history it is. Positions, not times, so a page read again answers the same and events appended
 * later come after it; a client that keeps the last cursor resumes there. A cursor belongs to its listing: one of
 * {@code stream=key} would start {@code stream=all} over the whole usage stream, after key events already seen, and
 * one of another key would skip that many of this key's events, so both are refused. Cursors written before they
 * named their key are read as they were. A developer's history ({@code developer}) has one stream, the account's,
 * and its cursors always named the account; {@code ownerId} is the key's or the account's id. A position past a
 * stream's end is no earlier page's either (a page ends after an event it showed), and is refused too: events appended
 * later into the gap would never be listed.
 */
record HistoryCursor(String ownerId, String stream, long key, long usage) {

    private static final Pattern FORM =
            Pattern.compile("(all|key|usage|developer):k(\\d{1,18})u(\\d{1,18})(?:@([0-9a-f-]{36}))?");

    /** The start of {@code stream} for none; 400 {@code invalid-cursor} for another listing's. */
    static HistoryCursor parse(String cursor, String ownerId, String stream) {
        if (cursor == null) {
            return new HistoryCursor(ownerId, stream, 0, 0);
        }
        Matcher position = Cursors.decode(cursor, FORM);
        // Cursors of a developer's history always named it: one without an id is not one of them.
        if (!position.group(1).equals(stream) || position.group(4) != null && !position.group(4).equals(ownerId)
                || position.group(4) == null && stream.equals("developer")) {
            throw Cursors.invalid();
        }
        return new HistoryCursor(ownerId, stream, Long.parseLong(position.group(2)), Long.parseLong(position.group(3)));
    }

    /**
     * Up to {@code count} events of {@code stream} from {@code position} on, read with the event before it, which an
     * earlier page showed: 400 {@code invalid-cursor} when the stream has none there.
     */
    static List<DomainEventMessage<?>> read(EventWindows windows, String stream, long position, int count) {
        if (position == 0) {
            return windows.read(stream, 0, count);
        }
        List<DomainEventMessage<?>> read = windows.read(stream, position - 1, count + 1);
        if (read.isEmpty() || read.get(0).getSequenceNumber() != position - 1) {
            throw Cursors.invalid();
        }
        return read.subList(1, read.size());
    }

    /**
     * The place in the listing before its first events recorded at or after {@code since} (the streams' ends when
     * there are none), found by halving each listed stream's sequences, so that a busy usage stream is not read from
     * its start. That takes a stream's times to rise with its sequence, as one command side appends a stream one change
     * or report at a time by its clock. Where they do not (a clock stepped back, or two command sides whose clocks
     * differ took turns), the place is one where the stream's times pass {@code since}: events stamped at or after it
     * before that place are not listed, nor those stamped before it after; the cursor's listing from the start holds
     * them all.
     */
    static HistoryCursor since(EventWindows windows, String keyId, String stream, Instant since) {
        long key = stream.equals("usage") ? 0 : firstAtOrAfter(windows, keyId, since);
        long usage = stream.equals("key") ? 0
                : firstAtOrAfter(windows, ApiKeyUsageRecordedEvent.streamOf(keyId), since);
        return new HistoryCursor(keyId, stream, key, usage);
    }

    private static long firstAtOrAfter(EventWindows windows, String stream, Instant since) {
        long low = 0;
        long high = windows.lastSequence(stream).map(last -> last + 1).orElse(0L);
        while (low < high) {
            long middle = (low + high) >>> 1;
            List<DomainEventMessage<?>> at = windows.read(stream, middle, 1);
            if (!at.isEmpty() && at.get(0).getTimestamp().isBefore(since)) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    String encode() {
        return Cursors.encode(stream + ":k" + key + "u" + usage + "@" + ownerId);
    }
}
