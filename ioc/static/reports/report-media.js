/* The reporting page, step 1: photos (GPS read first, then a downscaled JPEG) and the video.
 * Photos are downscaled here (long side <= 1600 px, JPEG) before upload. */
(function () {
  "use strict";
  var R = window.IOCReport;
  var $ = R.$;
  var MAX_SIDE = 1600;
  var KEEP_AS_IS_BYTES = 700 * 1024;

  /* ---- EXIF GPS, read before any downscaling (a canvas drops EXIF) ---- */
  function exifGps(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) { return null; }
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return null; }
      var length = view.getUint16(offset + 2);
      if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) {
        return tiffGps(view, offset + 10);
      }
      offset += 2 + length;
    }
    return null;
  }

  function tiffGps(view, start) {
    var little = view.getUint16(start) === 0x4949;
    var u16 = function (at) { return view.getUint16(start + at, little); };
    var u32 = function (at) { return view.getUint32(start + at, little); };
    var ifd = u32(4);
    var gps = null;
    for (var i = 0; i < u16(ifd); i++) {
      if (u16(ifd + 2 + i * 12) === 0x8825) { gps = u32(ifd + 2 + i * 12 + 8); }
    }
    if (gps === null) { return null; }
    var tags = {};
    for (var j = 0; j < u16(gps); j++) {
      var entry = gps + 2 + j * 12;
      var tag = u16(entry);
      if (tag === 1 || tag === 3) { tags[tag] = String.fromCharCode(view.getUint8(start + entry + 8)); }
      if ((tag === 2 || tag === 4) && u16(entry + 2) === 5 && u32(entry + 4) === 3) {
        var at = u32(entry + 8);
        tags[tag] = [0, 1, 2].map(function (k) { return u32(at + k * 8) / u32(at + k * 8 + 4); });
      }
    }
    if (!tags[2] || !tags[4]) { return null; }
    var lat = tags[2][0] + tags[2][1] / 60 + tags[2][2] / 3600;
    var lon = tags[4][0] + tags[4][1] / 60 + tags[4][2] / 3600;
    if (tags[1] === "S") { lat = -lat; }
    if (tags[3] === "W") { lon = -lon; }
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) { return null; }
    return { lat: lat, lon: lon };
  }

  /* ---- Photos: GPS first, then a downscaled JPEG ---- */
  function prepare(file) {
    return file.arrayBuffer().then(function (buffer) {
      var gps = null;
      try { gps = exifGps(buffer); } catch (error) { gps = null; }
      return createImageBitmap(file).then(function (bitmap) {
        var side = Math.max(bitmap.width, bitmap.height);
        if (file.type === "image/jpeg" && side <= MAX_SIDE && file.size <= KEEP_AS_IS_BYTES) {
          return { blob: file, gps: gps };  // small enough: the server strips its metadata
        }
        var scale = Math.min(1, MAX_SIDE / side);
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) {
          canvas.toBlob(function (blob) { resolve({ blob: blob || file, gps: gps }); }, "image/jpeg", 0.85);
        });
      }, function () { return { blob: file, gps: gps }; });  // e.g. HEIC: the server converts it
    });
  }

  R.addPhotos = function (files) {
    var room = R.cfg.maxPhotos - R.state.photos.length;
    if (files.length > room) { R.mediaError(R.fmt(R.T.tooManyPhotos, R.cfg.maxPhotos)); }
    var chosen = Array.prototype.slice.call(files, 0, Math.max(room, 0));
    R.setProgress(R.T.preparing, null);
    return Promise.all(chosen.map(function (file) {
      return prepare(file).then(function (item) { item.name = file.name || ""; return item; });
    })).then(function (items) {
      items.forEach(function (item) {
        R.state.photos.push(item);
        if (item.gps && R.state.lat === null) { R.setPlace(item.gps.lat, item.gps.lon, "exif"); }
      });
      R.hideProgress();
      R.renderPreviews();
      R.mediaChanged();
    });
  };

  /* An error about the photos or the video, shown at the media step (beside "Gửi" until the
   * page has an error place per step). */
  R.mediaError = function (message) {
    if (R.showStepError) { R.showStepError("media", message); } else { R.showError(message); }
  };

  /* The draft follows the media: report-send.js saves it again when one is kept. */
  R.mediaChanged = function () { if (R.onMediaChanged) { R.onMediaChanged(); } };

  /* "photo 2 (IMG_0002.jpg)", "the video (clip.mp4)": how a file is named to the resident. */
  R.fileLabel = function (field, index) {
    var item = field === "video" ? R.state.video : R.state.photos[index];
    var name = item && item.name;
    var label = field === "video" ? R.T.theVideo : R.fmt(R.T.photoN, index + 1);
    return name ? label + " (" + name + ")" : label;
  };

  R.removeFile = function (field, index) {
    if (field === "video") { R.state.video = null; } else { R.state.photos.splice(index, 1); }
    R.renderPreviews();
    R.mediaChanged();
  };

  function removeButton(field, index) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "chip remove";
    button.textContent = R.T.remove;
    button.setAttribute("aria-label", R.fmt(R.T.removeFile, R.fileLabel(field, index)));
    button.addEventListener("click", function () {
      R.removeFile(field, index);
      // The button is gone: keep the focus in the step (the next file's button, or its title).
      var next = document.querySelector("#previews button.remove");
      if (!next) { next = R.$("h-media"); next.setAttribute("tabindex", "-1"); }
      next.focus();
    });
    return button;
  }

  R.renderPreviews = function () {
    var list = $("previews");
    list.textContent = "";
    R.state.photos.forEach(function (item, index) {
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.src = URL.createObjectURL(item.blob);
      img.alt = R.fileLabel("photos", index);
      li.appendChild(img);
      li.appendChild(removeButton("photos", index));
      list.appendChild(li);
    });
    if (R.state.video) {
      var li = document.createElement("li");
      li.className = "video";
      li.appendChild(R.textNode("🎥 " + (R.state.video.name || R.T.theVideo)));
      li.appendChild(removeButton("video", 0));
      list.appendChild(li);
    }
  };

  /* The video's size and length, checked before it is uploaded (the server checks them again):
   * its metadata is read in a <video> element; a format this browser cannot play is left to the
   * server. Resolves to "" or the problem. */
  function checkVideo(file) {
    if (file.size > R.cfg.maxVideoMb * 1024 * 1024) { return Promise.resolve(R.fmt(R.T.videoTooLarge, R.cfg.maxVideoMb)); }
    return new Promise(function (resolve) {
      var video = document.createElement("video");
      var url = URL.createObjectURL(file);
      var settled = false;
      function done(problem) {
        if (settled) { return; }
        settled = true;
        URL.revokeObjectURL(url);
        video.removeAttribute("src");
        resolve(problem);
      }
      video.preload = "metadata";
      video.muted = true;
      video.onloadedmetadata = function () {
        var seconds = video.duration;
        done(isFinite(seconds) && seconds > R.cfg.maxVideoSeconds + 0.5 ? R.fmt(R.T.videoTooLong, R.cfg.maxVideoSeconds) : "");
      };
      video.onerror = function () { done(""); };
      setTimeout(function () { done(""); }, 8000);
      video.src = url;
    });
  }

  $("photos").addEventListener("change", function (event) { R.addPhotos(event.target.files); event.target.value = ""; });
  $("video").addEventListener("change", function (event) {
    var file = event.target.files[0];
    event.target.value = "";
    if (!file) { return; }
    checkVideo(file).then(function (problem) {
      if (problem) { R.mediaError((file.name ? file.name + ": " : "") + problem); return; }
      R.mediaError("");
      R.state.video = file;
      R.renderPreviews();
      R.mediaChanged();
    });
  });
})();
