/* ControlTrace: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // A table wider than its frame scrolls sideways; keyboard users reach it by Tab and scroll it with the arrows.
  function labelScrollingTables(root) {
    root.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth || wrap.hasAttribute("tabindex")) return;
      var table = wrap.querySelector("table");
      var caption = table && table.caption ? table.caption.textContent.trim() : "";
      var heading = wrap.closest("section") && wrap.closest("section").querySelector("h1, h2");
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", (caption || (heading && heading.textContent.trim()) || "Table") + " (scrolls sideways)");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { labelScrollingTables(document); });
  window.addEventListener("resize", function () { labelScrollingTables(document); });
  document.addEventListener("htmx:afterSettle", function (event) { labelScrollingTables(event.detail.elt); });

  // On a narrow screen the navigation folds behind the Menu button.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".menu-toggle");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // A refused htmx request (403 and others) says why, where the person acted, instead of failing silently.
  function reasonOf(xhr) {
    if (xhr.status === 403) {
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var alert = page.querySelector("main [role=alert]");
      return alert && alert.textContent.trim() ? alert.textContent.trim() : "Your role does not allow this.";
    }
    if (xhr.status === 404) return "Not found: it may have been removed meanwhile. Reload the page.";
    if (xhr.status === 413) return "Too large: the server refused it.";
    return "Something went wrong (" + xhr.status + "). Nothing was changed; please try again.";
  }

  function errorHost(element) {
    return (element && element.closest("form, section, [data-error-host]")) || document.querySelector("main");
  }

  function showError(element, message) {
    var host = errorHost(element);
    var box = host.querySelector(".htmx-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "error htmx-error";
      box.setAttribute("role", "alert");
      var heading = host.querySelector(":scope > h2, :scope > fieldset > legend");
      if (heading) heading.after(box); else host.prepend(box);
    }
    box.textContent = message;
  }

  document.addEventListener("htmx:responseError", function (event) {
    showError(event.detail.elt, reasonOf(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function (event) {
    showError(event.detail.elt, "The server could not be reached. Nothing was changed.");
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = errorHost(event.detail.elt).querySelector(".htmx-error");
    if (box) box.remove();
  });

  // Filter forms send every field; empty ones only clutter the URL that people bookmark and share.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var parameters = event.detail.parameters;
    Object.keys(parameters).forEach(function (name) {
      if (parameters[name] === "") delete parameters[name];
    });
  });

  // Copy buttons (the reference tag): shown only where the clipboard can be written.
  function revealCopyButtons(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var status = button.parentElement.querySelector(".copy-status");
    navigator.clipboard.writeText(button.dataset.copy).then(
      function () { if (status) status.textContent = "Copied " + button.dataset.copy; },
      function () { if (status) status.textContent = "Could not copy: select the tag and copy it."; }
    );
  });

  // "Select every row" in the register; checkbox hidden until this script can make it work.
  function revealSelectAll(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (box) { box.hidden = false; });
  }
  document.addEventListener("change", function (event) {
    var selector = event.target.dataset && event.target.dataset.selectAll;
    if (!selector) return;
    document.querySelectorAll(selector).forEach(function (box) { box.checked = event.target.checked; });
  });

  function enhance(root) {
    revealCopyButtons(root);
    revealSelectAll(root);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
