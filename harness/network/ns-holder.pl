# Runs inside a boot's private network + mount namespace (started by sandbox.ts through unshare), like
# ns-holder.cjs, at a fraction of its cost: perl-base is Essential on Debian and starts in ~2 ms of CPU where a
# Node process takes ~130 ms, once per boot. Opens the listeners the guest will reach (TCP on each served host
# address, UDP for DNS) and hands them to the harness over Node's IPC channel (fd NODE_CHANNEL_FD,
# newline-delimited JSON; a socket travels as SCM_RIGHTS with a {"cmd":"NODE_HANDLE",...} message, which the
# harness's Node receives as a net.Server / dgram.Socket and acknowledges with NODE_HANDLE_ACK). Then it stays,
# holding the namespace, answering probes, until the harness goes away (EOF on the channel).
#
# argv: SENDMSG_SYSCALL_NR OWNER_DIR [http=IP:PORT]... [dns=IP:PORT]
# (the owner dir is the harness's temp dir for this network: it tells this process apart from other boots'.)
use strict;
use warnings;
use Socket qw(AF_INET SOCK_STREAM SOCK_DGRAM SOL_SOCKET SO_REUSEADDR inet_aton pack_sockaddr_in);
use Errno;

my ($sendmsg_nr, $owner, @specs) = @ARGV;
my $chan_fd = $ENV{NODE_CHANNEL_FD};
die "ns-holder.pl: no NODE_CHANNEL_FD (start it from Node with an 'ipc' stdio entry)\n" unless defined $chan_fd && $chan_fd =~ /^\d+$/;
die "ns-holder.pl: no sendmsg syscall number\n" unless defined $sendmsg_nr && $sendmsg_nr =~ /^\d+$/;
open(my $chan, '<&=', $chan_fd) or die "ns-holder.pl: cannot open the IPC channel fd $chan_fd: $!\n";

sub json_str {
  my ($s) = @_;
  $s =~ s/(["\\])/\\$1/g;
  $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
  return "\"$s\"";
}

# One message on the channel; with $fd, the descriptor rides along as SCM_RIGHTS (struct layouts of LP64
# Linux: x86_64 and aarch64, the only architectures sandbox.ts starts this on).
sub send_line {
  my ($json, $fd) = @_;
  my $data = "$json\n";
  my $iov = pack('pQ', $data, length $data);
  my $control = defined $fd ? pack('Qiiix4', 20, 1, 1, $fd) : undef;   # CMSG_LEN(4), SOL_SOCKET, SCM_RIGHTS
  my $msghdr = defined $control
    ? pack('QLx4pQpQlx4', 0, 0, $iov, 1, $control, 24, 0)                # CMSG_SPACE(4) = 24
    : pack('QLx4pQQQlx4', 0, 0, $iov, 1, 0, 0, 0);
  while (1) {
    my $n = syscall($sendmsg_nr + 0, $chan_fd + 0, $msghdr, 0);
    return if $n == length $data;
    next if $n < 0 && $!{EINTR};
    die "sendmsg on the IPC channel failed: " . ($n < 0 ? "$!" : "short write ($n of " . length($data) . " bytes)") . "\n";
  }
}

sub read_line {
  my $line = <$chan>;
  exit 0 unless defined $line;    # the harness went away: release the namespace
  return $line;
}

# A handle message, then Node's acknowledgement (it sends one handle at a time the same way).
sub send_handle {
  my ($type, $msg, $sock, $extra) = @_;
  send_line(qq({"cmd":"NODE_HANDLE","type":"$type","msg":$msg$extra}), fileno($sock));
  while (1) {
    my $l = read_line();
    return if $l =~ /"cmd":"NODE_HANDLE_ACK"/;
    die "the harness could not take the $type socket (NODE_HANDLE_NACK)\n" if $l =~ /"cmd":"NODE_HANDLE_NACK"/;
  }
}

sub ip_port {
  my ($s) = @_;
  $s =~ /^(\d+\.\d+\.\d+\.\d+):(\d+)$/ or die "bad listener spec $s\n";
  return ($1, $2);
}

my (@http, $dns);
for (@specs) {
  if (/^http=(.*)$/) { push @http, [ip_port($1)] }
  elsif (/^dns=(.*)$/) { $dns = [ip_port($1)] }
  else { die "ns-holder.pl: unknown argument $_\n" }
}

sub listen_tcp {
  my ($ip, $port) = @_;
  socket(my $s, AF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
  setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1) or die "setsockopt: $!\n";
  bind($s, pack_sockaddr_in($port, inet_aton($ip))) or die "listen ${ip}:$port: $!\n";
  listen($s, 64) or die "listen ${ip}:$port: $!\n";
  return $s;
}

sub bind_udp {
  my ($ip, $port) = @_;
  socket(my $s, AF_INET, SOCK_DGRAM, 0) or die "socket: $!\n";
  bind($s, pack_sockaddr_in($port, inet_aton($ip))) or die "bind ${ip}:$port (udp): $!\n";
  return $s;
}

sub errno_name {
  my ($code) = @_;
  for my $name (keys %!) { return $name if $!{$name} }
  return "$code";
}

# The harness asks, when a boot did not pass, whether its listeners still take connections (a destroyed
# socket looks to the guest exactly like a server that is down).
sub probe {
  my ($ip, $port) = @_;
  require IO::Socket::INET;    # only when asked: the holder's start stays cheap
  my $c = IO::Socket::INET->new(PeerAddr => $ip, PeerPort => $port, Proto => 'tcp', Timeout => 1);
  if ($c) { close $c; return qq({"ip":"$ip","port":$port,"error":null}) }
  my $err = ($!{ETIMEDOUT} || $!{EINPROGRESS} || !$!) ? 'no answer within 1 s' : errno_name($!);
  return qq({"ip":"$ip","port":$port,"error":) . json_str($err) . '}';
}

eval {
  for my $l (@http) {
    my $s = listen_tcp(@$l);
    send_handle('net.Server', qq({"kind":"http","ip":"$l->[0]","port":$l->[1]}), $s, '');
    close $s;    # the harness holds its own copy now
  }
  if ($dns) {
    my $u = bind_udp(@$dns);
    send_handle('dgram.Socket', qq({"kind":"dns","ip":"$dns->[0]","port":$dns->[1]}), $u, ',"dgramType":"udp4"');
    close $u;
  }
  send_line(qq({"kind":"ready","pid":$$}));
  1;
} or do {
  my $e = $@ || 'unknown error';
  chomp $e;
  eval { send_line('{"kind":"error","message":' . json_str($e) . '}') };
  select(undef, undef, undef, 0.05);
  exit 1;
};

while (1) {
  my $l = read_line();
  next unless $l =~ /"kind":"probe"/ && $l =~ /"id":(\d+)/;
  my $id = $1;
  send_line(qq({"kind":"probe-result","id":$id,"results":[) . join(',', map { probe(@$_) } @http) . ']}');
}
