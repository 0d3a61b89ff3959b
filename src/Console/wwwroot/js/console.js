// The few things Blazor cannot do from C#: save a downloaded file, copy text, and return focus after a dialog closes.
let opener = null;

export function rememberFocus() {
    opener = document.activeElement;
}

export function restoreFocus() {
    if (opener && document.contains(opener)) {
        opener.focus();
    }
    opener = null;
}

export async function saveFile(fileName, contentType, stream) {
    const buffer = await stream.arrayBuffer();
    const url = URL.createObjectURL(new Blob([buffer], { type: contentType }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
}

export function focusFirstField(container) {
    const target = container.querySelector("input, select, textarea") ?? container.querySelector("button");
    target?.focus();
    if (!container.dataset.focusTrapped) {
        // Tab and Shift+Tab stay inside the open dialog (aria-modal).
        container.dataset.focusTrapped = "true";
        container.addEventListener("keydown", event => {
            if (event.key !== "Tab") {
                return;
            }
            const focusable = [...container.querySelectorAll("input, select, textarea, button:not([disabled]), a[href]")];
            const first = focusable[0], last = focusable[focusable.length - 1];
            if (event.shiftKey && document.activeElement === first) {
                last.focus();
                event.preventDefault();
            } else if (!event.shiftKey && document.activeElement === last) {
                first.focus();
                event.preventDefault();
            }
        });
    }
}

// Copies the text; when the browser refuses (no secure context, no permission), selects the field instead so that
// the user can copy it with the keyboard.
export async function copyText(text, field) {
    try {
        await navigator.clipboard.writeText(text);
        return true;
    } catch {
        field?.focus();
        field?.select();
        return false;
    }
}
