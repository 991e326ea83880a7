/**
 * Words models use for entity types, mapped onto the FMNERG tree. Real answers name types freely:
 * "person", "Location", "basketball team", "person/politician", "GPE", "tv show". One vocabulary on
 * the fine-grained tree serves both label sets, because every GMNER type is a union of FMNERG coarse
 * types (labels.ts, FMNERG_COARSE_TO_GMNER).
 *
 * Targets: a fine type name (implies its coarse type), `coarse:<name>` (coarse only), NOT_ENTITY
 * (a kind of thing the label sets do not annotate: dates, numbers, topics, generic nouns) and
 * ACCOUNT (user handles and hashtags as such: a type word that marks the string as an account or a
 * tag rather than the thing it names; Twitter-GMNER leaves most @handles unannotated).
 */
export const NOT_ENTITY = 'not-entity';
export const ACCOUNT = 'account';

const GROUPS: Record<string, readonly string[]> = {
  // ---- person
  'coarse:person': ['person', 'per', 'people name', 'human', 'individual', 'celebrity', 'personality', 'public figure', 'figure', 'historical figure', 'person name', 'entertainer', 'leader', 'owner'],
  politician: ['politician', 'president', 'former president', 'vice president', 'prime minister', 'senator', 'governor', 'mayor', 'congressman', 'congresswoman', 'minister', 'candidate', 'presidential candidate', 'lawmaker', 'political figure', 'political leader', 'king', 'queen', 'prince', 'princess', 'monarch', 'royal', 'diplomat', 'first lady', 'government official', 'official'],
  musician: ['musician', 'singer', 'rapper', 'songwriter', 'singer songwriter', 'dj', 'guitarist', 'drummer', 'pianist', 'composer', 'vocalist', 'recording artist', 'music artist', 'pop star', 'rock star'],
  actor: ['actor', 'actress', 'comedian', 'film actor', 'voice actor'],
  artist: ['artist', 'painter', 'photographer', 'designer', 'fashion designer', 'model', 'sculptor', 'dancer', 'performer', 'illustrator', 'cartoonist'],
  athlete: ['athlete', 'player', 'footballer', 'sportsman', 'sportswoman', 'sportsperson', 'boxer', 'fighter', 'golfer', 'racer', 'driver', 'racing driver', 'wrestler', 'quarterback', 'pitcher', 'cricketer', 'swimmer', 'runner', 'cyclist', 'skier', 'gymnast', 'jockey', 'skater'],
  author: ['author', 'writer', 'novelist', 'poet', 'blogger', 'screenwriter'],
  businessman: ['businessman', 'businesswoman', 'business person', 'entrepreneur', 'ceo', 'executive', 'founder', 'investor', 'billionaire', 'tycoon'],
  character: ['character', 'fictional character', 'superhero', 'super hero', 'cartoon character', 'mascot'],
  coach: ['coach', 'head coach', 'manager', 'trainer'],
  director: ['director', 'filmmaker', 'film director', 'producer'],
  intellectual: ['scientist', 'scholar', 'professor', 'researcher', 'philosopher', 'economist', 'historian', 'religious leader', 'religious figure', 'pope', 'priest', 'bishop', 'intellectual', 'academic', 'inventor'],
  journalist: ['journalist', 'reporter', 'anchor', 'news anchor', 'presenter', 'host', 'tv host', 'radio host', 'talk show host', 'broadcaster', 'commentator', 'columnist', 'editor', 'pundit'],
  person_other: ['person other', 'activist', 'student', 'police officer', 'soldier', 'chef', 'youtuber', 'socialite', 'astronaut', 'doctor', 'lawyer', 'judge'],
  // ---- organization
  'coarse:organization': ['organization', 'organisation', 'org', 'institution', 'group organization', 'corporate body'],
  company: ['company', 'corporation', 'business', 'firm', 'brand', 'startup', 'retailer', 'manufacturer', 'airline', 'bank', 'chain', 'restaurant chain', 'label', 'record label', 'publisher', 'studio', 'film studio', 'automaker', 'tech company', 'enterprise', 'store chain', 'brewery'],
  educational_institution: ['school', 'university', 'college', 'academy', 'high school', 'educational institution', 'institute'],
  band: ['band', 'music group', 'musical group', 'boy band', 'girl group', 'pop group', 'rock band', 'duo', 'trio', 'orchestra', 'choir', 'group band'],
  government_agency: ['government', 'government agency', 'government organization', 'government body', 'governmental body', 'agency', 'ministry', 'department', 'administration', 'congress', 'parliament', 'senate', 'legislature', 'police', 'police department', 'military', 'army', 'navy', 'court', 'council', 'city council'],
  news_agency: ['newspaper', 'news organization', 'news agency', 'news outlet', 'news source', 'news network', 'news station', 'news site', 'media outlet', 'media organization', 'media company', 'media', 'broadcaster', 'tv network', 'television network', 'network', 'channel', 'tv channel', 'television channel', 'news channel', 'radio station', 'tv station', 'outlet'],
  organization_other: ['organization other', 'committee', 'coalition', 'alliance', 'terrorist group', 'gang'],
  political_party: ['party', 'political party'],
  social_organization: ['charity', 'nonprofit', 'non profit', 'non profit organization', 'ngo', 'association', 'union', 'foundation', 'club', 'movement', 'community', 'fraternity', 'sorority', 'society', 'religious organization', 'church organization'],
  sports_league: ['league', 'sports league', 'football league', 'soccer league', 'federation', 'governing body', 'sports organization', 'sports association'],
  sports_team: ['team', 'sports team', 'franchise team', 'football club', 'soccer club', 'national team', 'squad', 'club team', 'franchise'],
  // ---- location
  'coarse:location': ['location', 'loc', 'place', 'geographic location', 'geographical location', 'gpe', 'geopolitical entity', 'geo', 'area', 'destination', 'attraction', 'tourist attraction'],
  city: ['city', 'town', 'village', 'capital', 'municipality', 'metropolis', 'hometown'],
  country: ['country', 'nation', 'republic'],
  state: ['state', 'province', 'county', 'territory', 'prefecture', 'us state'],
  continent: ['continent'],
  location_other: ['location other', 'region', 'geographical region', 'neighborhood', 'neighbourhood', 'district', 'suburb', 'borough', 'island', 'mountain', 'river', 'lake', 'sea', 'ocean', 'beach', 'valley', 'desert', 'peninsula', 'bay', 'coast', 'planet'],
  park: ['park', 'national park', 'garden', 'reserve', 'zoo'],
  road: ['road', 'street', 'avenue', 'highway', 'boulevard', 'square', 'bridge', 'route', 'lane', 'trail'],
  // ---- building
  'coarse:building': ['building', 'facility', 'fac', 'structure', 'landmark'],
  building_other: ['building other', 'tower', 'palace', 'hall', 'city hall', 'airport', 'station', 'train station', 'hospital', 'house', 'castle', 'prison', 'embassy', 'headquarters', 'office', 'skyscraper', 'monument', 'memorial'],
  cultural_place: ['cultural place', 'museum', 'gallery', 'art gallery', 'theatre', 'theater', 'library', 'church', 'cathedral', 'temple', 'mosque', 'opera house'],
  entertainment_place: ['entertainment place', 'restaurant', 'bar', 'pub', 'hotel', 'nightclub', 'casino', 'shop', 'store', 'mall', 'shopping mall', 'cafe', 'venue', 'concert venue', 'music venue', 'resort', 'cinema'],
  sports_facility: ['sports facility', 'stadium', 'arena', 'ballpark', 'racetrack', 'gym', 'golf course', 'sports venue', 'ground'],
  // ---- event
  'coarse:event': ['event', 'occasion', 'historical event'],
  event_other: ['event other', 'conference', 'summit', 'election', 'campaign', 'war', 'battle', 'natural disaster', 'incident', 'protest', 'rally', 'march', 'convention', 'expo', 'fair', 'exhibition', 'meeting', 'launch'],
  festival: ['festival', 'music festival', 'film festival', 'holiday', 'celebration', 'awards', 'award show', 'awards show', 'award ceremony', 'awards ceremony', 'ceremony', 'parade', 'concert', 'concert tour', 'carnival', 'gala'],
  sports_event: ['sports event', 'sporting event', 'match', 'tournament', 'championship', 'race', 'cup', 'grand prix', 'olympics', 'playoffs', 'finals', 'final', 'bowl', 'competition', 'championship game'],
  // ---- art
  'coarse:art': ['art', 'work', 'work of art', 'creative work', 'artwork'],
  art_other: ['art other', 'painting', 'sculpture', 'musical', 'play', 'opera', 'exhibit'],
  film_and_television_works: ['film and television works', 'film', 'movie', 'tv show', 'television show', 'show', 'series', 'tv series', 'television series', 'tv program', 'television program', 'documentary', 'sitcom', 'episode', 'cartoon', 'anime', 'movie franchise', 'film franchise', 'movie title'],
  magazine: ['magazine', 'publication', 'journal'],
  music: ['music', 'song', 'album', 'single', 'track', 'ep', 'mixtape', 'soundtrack', 'anthem', 'song title'],
  written_work: ['written work', 'book', 'novel', 'poem', 'article', 'comic', 'comic book', 'essay', 'story', 'manga', 'book series', 'book title'],
  // ---- product
  'coarse:product': ['product', 'item', 'merchandise', 'goods', 'device', 'gadget', 'technology'],
  brand_name_products: ['brand name products', 'brand name product', 'branded product', 'car', 'vehicle', 'phone', 'smartphone', 'shoe', 'sneaker', 'sneakers', 'drink', 'beverage', 'beer', 'console', 'game console', 'watch', 'aircraft', 'ship'],
  game: ['game', 'video game', 'board game', 'mobile game'],
  product_other: ['product other', 'service', 'tool', 'weapon', 'firearm', 'spacecraft'],
  software: ['software', 'app', 'application', 'mobile app', 'operating system', 'computer program'],
  // ---- other
  'coarse:other': ['other', 'misc', 'miscellaneous', 'other entity', 'thing', 'norp', 'nationality', 'language', 'religion', 'ethnicity'],
  animal: ['animal', 'dog', 'cat', 'horse', 'pet', 'bird', 'named animal'],
  award: ['award', 'prize', 'trophy', 'medal', 'honor', 'honour'],
  medical_thing: ['medical thing', 'disease', 'illness', 'drug', 'medicine', 'virus', 'vaccine', 'syndrome', 'medical condition', 'medical procedure'],
  website: ['website', 'site', 'web site', 'platform', 'social media', 'social media platform', 'social network', 'online platform', 'online marketplace', 'blog', 'forum', 'streaming service', 'online service'],
  ordinance: ['ordinance', 'law', 'act', 'bill', 'treaty', 'regulation', 'policy', 'legislation', 'amendment', 'constitution'],
  [NOT_ENTITY]: [
    'date', 'time', 'time period', 'time frame', 'year', 'day', 'day of the week', 'month', 'decade', 'currency', 'genre', 'field', 'discipline', 'job title', 'number', 'quantity', 'money', 'amount', 'amount of money', 'percent', 'percentage', 'ordinal', 'cardinal', 'duration',
    'age', 'measurement', 'concept', 'topic', 'subject', 'theme', 'idea', 'issue', 'activity', 'action', 'sport', 'profession', 'occupation', 'job', 'position', 'role',
    'object', 'general entity', 'generic', 'common noun', 'noun', 'phrase', 'emotion', 'feeling', 'food', 'food item', 'dish', 'ingredient', 'color', 'colour', 'weather',
    'group of people', 'group of individuals', 'people', 'crowd', 'audience', 'fans', 'professionals', 'family member', 'industry', 'category', 'project', 'achievement', 'symbol',
  ],
  [ACCOUNT]: ['handle', 'username', 'user name', 'user', 'account', 'twitter handle', 'twitter account', 'twitter user', 'hashtag', 'hashtags', 'hastag', 'mention', 'url', 'link', 'emoji', 'emoticon'],
};

/** Lower-case, single-spaced phrase -> target. Later groups never override earlier ones. */
export const TYPE_VOCABULARY: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [target, phrases] of Object.entries(GROUPS)) {
    for (const p of phrases) if (!m.has(p)) m.set(p, target);
  }
  return m;
})();

/** Words that mark a type as an account or tag wherever they occur in a compound ("person/handle"). */
export const ACCOUNT_WORDS: ReadonlySet<string> = new Set(GROUPS[ACCOUNT].filter((p) => !p.includes(' ')));
