/*
 * Field Notes: the site's own small behaviours.
 *  - a light/dark theme toggle, remembered in localStorage when it is available;
 *  - a lightbox for gallery links marked with data-lightbox (without JavaScript, the
 *    links simply open the full-size image).
 */
(function () {
  'use strict';

  var THEME_KEY = 'fieldnotes-theme';
  var root = document.documentElement;

  function storedTheme() {
    try {
      var t = window.localStorage.getItem(THEME_KEY);
      return t === 'dark' || t === 'light' ? t : null;
    } catch (e) {
      return null;
    }
  }

  function applyTheme(theme) {
    root.setAttribute('data-theme', theme);
    var button = document.querySelector('.theme-toggle');
    if (button) {
      button.setAttribute('aria-pressed', theme === 'dark' ? 'true' : 'false');
      button.textContent = theme === 'dark' ? 'Light mode' : 'Dark mode';
    }
  }

  function initialTheme() {
    var t = storedTheme();
    if (t) return t;
    var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
    return dark ? 'dark' : 'light';
  }

  function initThemeToggle() {
    applyTheme(initialTheme());
    var button = document.querySelector('.theme-toggle');
    if (!button) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var next = root.getAttribute('data-theme') === 'dark' ? 'light' : 'dark';
      applyTheme(next);
      try {
        window.localStorage.setItem(THEME_KEY, next);
      } catch (e) {
        /* private mode or storage disabled: the choice lasts for this page only */
      }
    });
  }

  function initLightbox() {
    var links = Array.prototype.slice.call(document.querySelectorAll('a[data-lightbox]'));
    if (links.length === 0) return;

    var box = document.createElement('div');
    box.className = 'lightbox';
    box.hidden = true;
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-label', 'Photo viewer');
    var close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Close';
    // The <img> exists only while the viewer is open, so the page never holds an empty image.
    var img = null;
    var caption = document.createElement('p');
    box.appendChild(close);
    box.appendChild(caption);
    document.body.appendChild(box);

    var current = -1;
    var opener = null;

    function captionFor(link) {
      if (link.getAttribute('data-caption')) return link.getAttribute('data-caption');
      var fig = link.closest('figure');
      var fc = fig && fig.querySelector('figcaption');
      return fc ? fc.textContent.trim() : '';
    }

    function show(i) {
      current = (i + links.length) % links.length;
      var link = links[current];
      var thumb = link.querySelector('img');
      if (!img) {
        img = document.createElement('img');
        box.insertBefore(img, caption);
      }
      img.src = link.href;
      img.alt = thumb ? thumb.alt : '';
      caption.textContent = captionFor(link) + '  (' + (current + 1) + ' / ' + links.length + ')';
    }

    function open(i, from) {
      opener = from || null;
      show(i);
      box.hidden = false;
      document.body.style.overflow = 'hidden';
      close.focus();
    }

    function hide() {
      box.hidden = true;
      if (img) {
        box.removeChild(img);
        img = null;
      }
      document.body.style.overflow = '';
      if (opener) opener.focus();
    }

    links.forEach(function (link, i) {
      link.addEventListener('click', function (ev) {
        if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
        ev.preventDefault();
        open(i, link);
      });
    });
    close.addEventListener('click', hide);
    box.addEventListener('click', function (ev) {
      if (ev.target === box) hide();
    });
    document.addEventListener('keydown', function (ev) {
      if (box.hidden) return;
      if (ev.key === 'Escape') hide();
      else if (ev.key === 'ArrowRight') show(current + 1);
      else if (ev.key === 'ArrowLeft') show(current - 1);
    });
  }

  function init() {
    initThemeToggle();
    initLightbox();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
