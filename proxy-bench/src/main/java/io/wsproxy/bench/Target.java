package io.wsproxy.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;

/** Where a client connects: parsed from a ws:// URL. */
final class Target {
  final InetSocketAddress address;
  final String hostHeader;
  final String path;
  final String url;

  Target(String url) throws UnknownHostException {
    URI uri = URI.create(url);
    if (!"ws".equals(uri.getScheme())) {
      throw new IllegalArgumentException("only ws:// URLs are supported: " + url);
    }
    int port = uri.getPort() < 0 ? 80 : uri.getPort();
    this.address = new InetSocketAddress(InetAddress.getByName(uri.getHost()), port);
    this.hostHeader = uri.getHost() + ":" + port;
    String p = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    this.path = uri.getRawQuery() == null ? p : p + "?" + uri.getRawQuery();
    this.url = url;
  }
}
