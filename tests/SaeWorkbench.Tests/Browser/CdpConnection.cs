using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Tests.Browser;

/// <summary>
/// A Chrome DevTools Protocol client over one WebSocket: sends commands (<c>{id, method, params, sessionId}</c>),
/// matches replies by id, and hands events to subscribers. Self-contained (no test framework types) so that other
/// test projects can link this folder.
/// </summary>
public sealed class CdpConnection : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> pending = new();
    private readonly ConcurrentDictionary<long, Action<string?, string, JsonElement>> listeners = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private Task? receiveLoop;
    private long nextId;
    private long nextListener;

    private CdpConnection() { }

    /// <summary>Connects to a DevTools WebSocket endpoint (<c>ws://127.0.0.1:port/devtools/browser/...</c>).</summary>
    public static async Task<CdpConnection> ConnectAsync(Uri endpoint, CancellationToken ct)
    {
        var c = new CdpConnection();
        c.socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await c.socket.ConnectAsync(endpoint, ct);
        c.receiveLoop = Task.Run(c.ReceiveLoopAsync);
        return c;
    }

    /// <summary>
    /// Subscribes to every event (session id or null for the browser, method, params); dispose the result to stop.
    /// </summary>
    public IDisposable Subscribe(Action<string?, string, JsonElement> onEvent)
    {
        var id = Interlocked.Increment(ref nextListener);
        listeners[id] = onEvent;
        return new Unsubscriber(() => listeners.TryRemove(id, out _));
    }

    /// <summary>Sends a command and waits for its result; a protocol error becomes a <see cref="CdpException"/>.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters = null, string? sessionId = null, TimeSpan? timeout = null)
    {
        var id = Interlocked.Increment(ref nextId);
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = tcs;
        var msg = new JsonObject { ["id"] = id, ["method"] = method };
        msg["params"] = parameters is null ? new JsonObject() : JsonSerializer.SerializeToNode(parameters);
        if (sessionId is not null) msg["sessionId"] = sessionId;
        var bytes = Encoding.UTF8.GetBytes(msg.ToJsonString());
        await sendLock.WaitAsync();
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, stop.Token);
        }
        finally
        {
            sendLock.Release();
        }
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var done = await Task.WhenAny(tcs.Task, Task.Delay(limit));
        if (done != tcs.Task)
        {
            pending.TryRemove(id, out _);
            throw new TimeoutException($"DevTools command {method} got no reply within {limit.TotalSeconds:0} s.");
        }
        return await tcs.Task;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!stop.IsCancellationRequested && socket.State == WebSocketState.Open)
            {
                var r = await socket.ReceiveAsync(buffer, stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The browser went away or we are closing.
        }
        foreach (var (id, tcs) in pending)
        {
            if (pending.TryRemove(id, out _))
                tcs.TrySetException(new CdpException("the DevTools connection closed before the reply came."));
        }
    }

    private void Dispatch(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement.Clone();
        if (root.TryGetProperty("id", out var idEl))
        {
            if (pending.TryRemove(idEl.GetInt64(), out var tcs))
            {
                if (root.TryGetProperty("error", out var err))
                    tcs.TrySetException(new CdpException(err.GetProperty("message").GetString() ?? err.ToString()));
                else
                    tcs.TrySetResult(root.TryGetProperty("result", out var res) ? res : default);
            }
            return;
        }
        if (!root.TryGetProperty("method", out var method)) return;
        var session = root.TryGetProperty("sessionId", out var s) ? s.GetString() : null;
        var p = root.TryGetProperty("params", out var pr) ? pr : default;
        foreach (var l in listeners.Values)
        {
            try
            {
                l(session, method.GetString()!, p);
            }
            catch
            {
                // A listener's failure must not stop the connection.
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        try
        {
            if (socket.State == WebSocketState.Open)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
        {
        }
        if (receiveLoop is not null) await Task.WhenAny(receiveLoop, Task.Delay(2000));
        socket.Dispose();
        stop.Dispose();
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

/// <summary>A DevTools protocol error reply.</summary>
public sealed class CdpException(string message) : Exception(message);
