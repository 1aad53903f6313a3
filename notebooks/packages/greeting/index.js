// Greets by name and counts the letters, so what an app prints is computed.
exports.hello = (name) => `Hello, ${name}! (${name.replace(/[^a-z]/gi, "").length} letters)`;
