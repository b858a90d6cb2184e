package io.wsproxy.bench.splice;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * The splice on Netty's native epoll transport (JNI, edge-triggered, no java.nio underneath), written as Netty's
 * own proxy example is: each side reads while its peer can take more, flushes once per read burst.
 */
final class EpollSplice {
  private EpollSplice() {}

  static InetSocketAddress start(InetSocketAddress listen, InetSocketAddress target, int threads) throws Exception {
    Epoll.ensureAvailability();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
    Channel server = new ServerBootstrap()
        .group(group)
        .channel(EpollServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.AUTO_READ, false)   // nothing is read from a client before its target answers
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel client) {
            client.pipeline().addLast(new Side(target));
          }
        })
        .bind(listen).sync().channel();
    return (InetSocketAddress) server.localAddress();
  }

  /** One direction's reader: what it reads goes to its peer; the client's side also dials the target. */
  private static final class Side extends ChannelInboundHandlerAdapter {
    private final InetSocketAddress target;   // null on the upstream's side
    private Channel peer;

    Side(InetSocketAddress target) {
      this.target = target;
    }

    private Side(Channel peer) {
      this.target = null;
      this.peer = peer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (target == null) {
        return;
      }
      Channel client = ctx.channel();
      var connect = new Bootstrap()
          .group(client.eventLoop())
          .channel(EpollSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new Side(client))
          .connect(target);
      peer = connect.channel();
      connect.addListener((ChannelFutureListener) f -> {
        if (f.isSuccess()) {
          client.config().setAutoRead(true);
        } else {
          client.close();
        }
      });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (peer.isActive()) {
        peer.write(msg, peer.voidPromise());
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      peer.flush();
      if (!peer.isWritable()) {
        ctx.channel().config().setAutoRead(false);   // backpressure: read again when the peer drains
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && peer != null) {
        peer.config().setAutoRead(true);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (peer != null && peer.isActive()) {
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
