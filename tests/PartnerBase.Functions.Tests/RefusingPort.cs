using System.Net;
using System.Net.Sockets;

namespace PartnerBase.Functions.Tests;

/// <summary>
/// A loopback port that refuses connections for as long as this lives: bound but never listening, so no server
/// started by a parallel test can take it (as it could take a port that was found free and let go).
/// </summary>
public sealed class RefusingPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingPort() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public void Dispose() => _socket.Dispose();
}
