// mongo-java-server 1.46.0 on a loopback address: an in-memory database, or
// an H2 file with --h2 PATH whose data survives a restart. Prints
// "mongo-java-server listening 127.0.0.1:PORT" once bound; SIGTERM or SIGINT
// shut it down (the H2 file closed) and exit 0.
package gridboard;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetAddress;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

public final class MongoJava {
    private static void fail(String message) {
        System.err.println("mongojava: " + message);
        System.exit(2);
    }

    public static void main(String[] args) throws Exception {
        String listen = "127.0.0.1:27017";
        String h2 = null;
        for (int i = 0; i < args.length; i++) {
            boolean hasValue = i + 1 < args.length;
            switch (args[i]) {
                case "--listen" -> { if (hasValue) listen = args[++i]; else fail("--listen needs HOST:PORT"); }
                case "--h2" -> { if (hasValue) h2 = args[++i]; else fail("--h2 needs a file"); }
                default -> fail("usage: mongojava [--listen 127.0.0.1:PORT] [--h2 FILE]");
            }
        }
        int colon = listen.lastIndexOf(':');
        if (colon < 0) fail("--listen: HOST:PORT expected");
        String host = listen.substring(0, colon).replaceAll("^\\[|\\]$", "");
        int port = 0;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            fail("--listen: bad port");
        }
        // Only a literal loopback IP: no name to resolve, nothing reachable from outside.
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+") || !InetAddress.getByName(host).isLoopbackAddress()) {
            fail("--listen must be a loopback IP address");
        }

        MongoBackend backend = h2 == null ? new MemoryBackend() : new H2Backend(h2);
        MongoServer server = new MongoServer(backend);
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        server.bind(host, port);
        System.out.println("mongo-java-server listening " + host + ":" + port);
        System.out.flush();
        stop.await();
        server.shutdownNow(); // closes the connections and the backend (H2: committed, file closed)
        System.exit(0);
    }
}
