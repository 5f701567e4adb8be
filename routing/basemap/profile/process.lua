-- The base map's tilemaker profile: which OpenStreetMap features go into which layer.
--
-- Layers and attributes follow the Protomaps basemap's names (roads, buildings, water, landuse,
-- places, pois; `kind`, `kind_detail`, `name`), so that a renderer's rules read alike. Names are
-- Vietnamese: `name:vi` where the feature has it, else `name` (in Vietnam usually Vietnamese).
-- Zooms 8 to 16; the renderer overzooms the z16 tiles beyond.

node_keys = { "place", "amenity", "shop", "office", "healthcare" }

function init_function()
end

function exit_function()
end

function Set(list)
	local set = {}
	for _, value in ipairs(list) do set[value] = true end
	return set
end

-- highway=* -> kind and the first zoom it shows at.
ROAD_KINDS = {
	motorway = { "highway", 8 }, motorway_link = { "highway", 11 },
	trunk = { "major_road", 8 }, trunk_link = { "major_road", 11 },
	primary = { "major_road", 8 }, primary_link = { "major_road", 11 },
	secondary = { "major_road", 10 }, secondary_link = { "major_road", 12 },
	tertiary = { "major_road", 11 }, tertiary_link = { "major_road", 12 },
	residential = { "minor_road", 12 }, unclassified = { "minor_road", 12 },
	living_street = { "minor_road", 13 }, road = { "minor_road", 13 },
	service = { "minor_road", 14 }, track = { "path", 14 },
	pedestrian = { "path", 13 }, footway = { "path", 15 }, path = { "path", 15 },
	cycleway = { "path", 15 }, steps = { "path", 15 },
}

-- POIs useful to a city, by tag: kind and the first zoom it shows at.
POI_KINDS = {
	amenity = {
		townhall = { "townhall", 13 }, police = { "police", 14 }, hospital = { "hospital", 13 },
		clinic = { "clinic", 15 }, school = { "school", 14 }, kindergarten = { "kindergarten", 15 },
		college = { "college", 14 }, university = { "university", 13 },
		marketplace = { "marketplace", 14 }, post_office = { "post_office", 15 },
		fire_station = { "fire_station", 14 }, place_of_worship = { "place_of_worship", 16 },
	},
	office = { government = { "government", 14 } },
	shop = { supermarket = { "supermarket", 15 }, mall = { "mall", 14 } },
	healthcare = { hospital = { "hospital", 13 }, clinic = { "clinic", 15 } },
}

PLACE_ZOOMS = {
	city = 8, town = 9, suburb = 11, quarter = 12, village = 12, neighbourhood = 14, hamlet = 14,
}

WATER_AREAS = Set { "water", "riverbank", "basin", "reservoir", "dock" }
WATER_LINES = { river = 9, canal = 12, stream = 14, drain = 15, ditch = 15 }
LANDUSE_KINDS = {
	park = "park", garden = "park", grass = "grass", recreation_ground = "park", forest = "wood",
	wood = "wood", cemetery = "cemetery", grave_yard = "cemetery", farmland = "farmland",
	orchard = "farmland", meadow = "grass", residential = "residential",
	commercial = "commercial", retail = "commercial", industrial = "industrial",
	military = "military", school = "school", university = "school", college = "school",
	hospital = "hospital", pitch = "pitch", stadium = "pitch", wetland = "wetland",
	scrub = "scrub", heath = "scrub",
}

-- Metres² per pixel² at each zoom (a tile is 256 px): areas smaller than a few pixels wait.
function MinZoomByArea(area)
	local zoom = 8
	local pixel = 611.5 -- metres per pixel at z8
	while zoom < 16 and area < 16 * pixel * pixel do
		zoom = zoom + 1
		pixel = pixel / 2
	end
	return zoom
end

function NameOf(obj)
	local name = obj:Find("name:vi")
	if name == "" then name = obj:Find("name") end
	return name
end

-- After Layer(): an attribute belongs to the layer written last.
function SetName(obj)
	local name = NameOf(obj)
	if name ~= "" then obj:Attribute("name", name) end
end

function PoiKind(obj)
	for key, kinds in pairs(POI_KINDS) do
		local found = kinds[obj:Find(key)]
		if found then return found end
	end
	return nil
end

function node_function(node)
	local place = node:Find("place")
	if PLACE_ZOOMS[place] and NameOf(node) ~= "" then
		node:Layer("places", false)
		SetName(node)
		node:Attribute("kind", place)
		node:MinZoom(PLACE_ZOOMS[place])
		return
	end
	local poi = PoiKind(node)
	if poi and NameOf(node) ~= "" then
		node:Layer("pois", false)
		SetName(node)
		node:Attribute("kind", poi[1])
		node:MinZoom(poi[2])
	end
end

function WriteRoad(way, highway)
	local road = ROAD_KINDS[highway]
	if not road then return end
	local access = way:Find("access")
	if access == "private" or access == "no" then return end
	way:Layer("roads", false)
	way:Attribute("kind", road[1])
	way:Attribute("kind_detail", highway)
	way:MinZoom(road[2])
	SetName(way)
	local ref = way:Find("ref")
	if ref ~= "" then way:Attribute("ref", ref) end
	if way:Find("bridge") == "yes" then way:Attribute("is_bridge", "yes") end
	if way:Find("oneway") == "yes" then way:Attribute("oneway", "yes") end
end

function WriteWater(way)
	local natural, waterway = way:Find("natural"), way:Find("waterway")
	local landuse, water = way:Find("landuse"), way:Find("water")
	local closed = way:IsClosed()
	if closed and (WATER_AREAS[natural] or WATER_AREAS[waterway] or WATER_AREAS[landuse]) then
		way:Layer("water", true)
		way:Attribute("kind", water ~= "" and water or "water")
		way:MinZoom(MinZoomByArea(way:Area()))
		SetName(way)
		return true
	end
	if WATER_LINES[waterway] then
		way:Layer("water", false)
		way:Attribute("kind", waterway)
		way:MinZoom(WATER_LINES[waterway])
		SetName(way)
		return true
	end
	return false
end

function WriteLanduse(way)
	if not way:IsClosed() then return end
	local kind = LANDUSE_KINDS[way:Find("leisure")] or LANDUSE_KINDS[way:Find("landuse")]
		or LANDUSE_KINDS[way:Find("natural")] or LANDUSE_KINDS[way:Find("amenity")]
	if not kind then return end
	way:Layer("landuse", true)
	way:Attribute("kind", kind)
	way:MinZoom(math.max(MinZoomByArea(way:Area()), 10))
end

function WritePoiArea(way)
	local poi = PoiKind(way)
	if not poi or not way:IsClosed() or NameOf(way) == "" then return end
	way:LayerAsCentroid("pois")
	way:Attribute("kind", poi[1])
	way:MinZoom(poi[2])
	SetName(way)
end

function way_function(way)
	local highway = way:Find("highway")
	if highway ~= "" then
		WriteRoad(way, highway)
		return
	end
	if WriteWater(way) then return end
	if way:Find("building") ~= "" and way:IsClosed() then
		way:Layer("buildings", true)
		way:Attribute("kind", "building")
		way:MinZoom(14)
	else
		WriteLanduse(way)
	end
	WritePoiArea(way)
end
