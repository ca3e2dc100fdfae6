/* Loaded in <head> before first paint, so the large-text choice does not flash. */
try { if (localStorage.getItem("yrd-large-text") === "1") document.documentElement.classList.add("large-text"); } catch (e) {}
