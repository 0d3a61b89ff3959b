using Microsoft.JSInterop;

namespace PartnerBase.Console.Shared;

/// <summary>The console's own JavaScript (wwwroot/js/console.js), loaded once: file downloads, copying and focus return.</summary>
public sealed class BrowserInterop(IJSRuntime js) : IAsyncDisposable
{
    private readonly Lazy<Task<IJSObjectReference>> _module = new(() => js.InvokeAsync<IJSObjectReference>("import", "./js/console.js").AsTask());

    public async Task RememberFocusAsync() => await (await _module.Value).InvokeVoidAsync("rememberFocus");

    /// <summary>Moves focus into a dialog: its first field, else its first button.</summary>
    public async Task FocusFirstFieldAsync(Microsoft.AspNetCore.Components.ElementReference container) =>
        await (await _module.Value).InvokeVoidAsync("focusFirstField", container);

    public async Task RestoreFocusAsync() => await (await _module.Value).InvokeVoidAsync("restoreFocus");

    /// <summary>Saves the bytes as a file (a download, not a new tab).</summary>
    public async Task SaveFileAsync(string fileName, string contentType, byte[] content)
    {
        using var stream = new DotNetStreamReference(new MemoryStream(content));
        await (await _module.Value).InvokeVoidAsync("saveFile", fileName, contentType, stream);
    }

    /// <summary>Copies the text to the clipboard; false when the browser refused, and then the field's text is selected.</summary>
    public async Task<bool> CopyTextAsync(string text, Microsoft.AspNetCore.Components.ElementReference field) =>
        await (await _module.Value).InvokeAsync<bool>("copyText", text, field);

    public async ValueTask DisposeAsync()
    {
        if (_module.IsValueCreated)
        {
            try
            {
                await (await _module.Value).DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The page is gone; so is the module.
            }
        }
    }
}
