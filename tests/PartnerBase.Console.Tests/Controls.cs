using System.Text;

namespace PartnerBase.Console.Tests;

/// <summary>What the tests do with the console's controls, found by role, label or text only (CONTRACT §9's names).</summary>
internal static class Controls
{
    /// <summary>The table's data rows: rows with cells (the header row has column headers only).</summary>
    public static ILocator DataRows(IPage page) =>
        page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell) });

    /// <summary>The data rows of one table, on a page that has several.</summary>
    public static ILocator DataRows(ILocator table) =>
        table.GetByRole(AriaRole.Row).Filter(new() { Has = table.Page.GetByRole(AriaRole.Cell) });

    /// <summary>The data row that shows this text (a partner's name, an amount).</summary>
    public static ILocator Row(IPage page, string text) => DataRows(page).Filter(new() { HasText = text });

    /// <summary>
    /// Chooses an option of a labelled select: a native <c>select</c> by value or by label, else a combobox (as Fluent
    /// UI's) by opening it and picking the option by its name. <paramref name="names"/> are the acceptable values or labels.
    /// </summary>
    public static async Task ChooseAsync(ILocator select, params string[] names)
    {
        var tag = await select.EvaluateAsync<string>("e => e.tagName.toLowerCase()");
        if (tag == "select")
        {
            var options = await select.EvaluateAsync<string[][]>("s => [...s.options].map(o => [o.value, o.label.trim()])");
            var chosen = options.FirstOrDefault(o => names.Any(n => string.Equals(o[0], n, StringComparison.OrdinalIgnoreCase) || string.Equals(o[1], n, StringComparison.OrdinalIgnoreCase)));
            Assert.True(chosen is not null, $"No option {string.Join(" or ", names)} among {string.Join(", ", options.Select(o => $"{o[0]} ({o[1]})"))}");
            await select.SelectOptionAsync(new SelectOptionValue { Value = chosen[0] });
            return;
        }

        await select.ClickAsync();
        var page = select.Page;
        foreach (var name in names)
        {
            var option = page.GetByRole(AriaRole.Option, new() { Name = name, Exact = true });
            if (await option.CountAsync() > 0)
            {
                await option.First.ClickAsync();
                return;
            }
        }

        Assert.Fail($"The combobox has no option {string.Join(" or ", names)}");
    }

    /// <summary>Types into a labelled field, or chooses from it when it is a select or combobox that takes no typing.</summary>
    public static async Task EnterAsync(ILocator field, params string[] values)
    {
        var kind = await field.EvaluateAsync<string>(
            "e => e.tagName.toLowerCase() === 'select' ? 'select' : e.getAttribute('role') === 'combobox' && e.tagName.toLowerCase() !== 'input' ? 'combobox' : 'text'");
        if (kind == "text")
        {
            await field.FillAsync(values[0]);
        }
        else
        {
            await ChooseAsync(field, values);
        }
    }

    /// <summary>The focused element's accessible text and role (through shadow roots), to walk the page with Tab.</summary>
    public static Task<FocusedElement> FocusedAsync(IPage page) =>
        page.EvaluateAsync<FocusedElement>("""
            () => {
              const e = document.activeElement;
              if (!e || e === document.body) { return { text: '', role: '', tag: '' }; }
              const text = (e.getAttribute('aria-label') || e.innerText || e.textContent || '').trim();
              const role = e.getAttribute('role') || (e.type === 'checkbox' ? 'checkbox' : '');
              return { text, role, tag: e.tagName.toLowerCase() };
            }
            """);

    /// <summary>Presses Tab until <paramref name="found"/> holds for the focused element; fails after <paramref name="limit"/> presses.</summary>
    public static async Task<FocusedElement> TabToAsync(IPage page, Func<FocusedElement, bool> found, string what, int limit = 60)
    {
        var seen = new List<string>();
        for (var i = 0; i < limit; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await FocusedAsync(page);
            if (found(focused))
            {
                return focused;
            }

            seen.Add($"{focused.Tag}[{focused.Role}] {Shorten(focused.Text)}");
        }

        Assert.Fail($"Tab never reached {what} in {limit} presses; focus went through: {string.Join(" → ", seen)}");
        return null!;
    }

    /// <summary>Whether the focused element is inside this element (slots and shadow roots included), e.g. a dialog.</summary>
    public static Task<bool> HasFocusWithinAsync(ILocator element) =>
        element.EvaluateAsync<bool>("""
            d => {
              for (let n = document.activeElement; n; n = n.assignedSlot || n.parentNode || n.host) {
                if (n === d) { return true; }
              }
              return false;
            }
            """);

    private static string Shorten(string text) => text.Length <= 40 ? text.ReplaceLineEndings(" ") : text[..40].ReplaceLineEndings(" ") + "…";
}

public sealed record FocusedElement
{
    public string Text { get; init; } = "";

    public string Role { get; init; } = "";

    public string Tag { get; init; } = "";
}

/// <summary>RFC 4180 as the export writes it: quoted fields with doubled quotes, CRLF or LF between records.</summary>
internal static class Csv
{
    public static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                fields.Add(field.ToString());
                field.Clear();
                records.Add([.. fields]);
                fields.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add([.. fields]);
        }

        return records;
    }
}
