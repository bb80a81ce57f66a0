"""Speech that is not English, for telling it apart from English with an English-only recogniser:
short everyday passages written in each language, read by that language's espeak-ng voice
(`speech_corpus.spoken_passage` does the reading, mixing and timing).

    spoken = spoken_in("fr", number=0)            # a French passage, in espeak-ng's French voice
    spoken.samples, spoken.lines

The passages are plain prose of about eight sentences (30-50 s at 150 words a minute); two per
language, so a bench can read one and a test another. `OTHER_LANGUAGES` maps an ISO 639-1 code to
its espeak-ng voice.
"""

from __future__ import annotations

from .speech_corpus import Background, SpokenPassage, spoken_passage

OTHER_LANGUAGES: dict[str, str] = {
    "fr": "fr-fr",
    "de": "de",
    "es": "es",
    "it": "it",
    "pt": "pt",
    "nl": "nl",
    "pl": "pl",
    "ru": "ru",
    "sv": "sv",
    "tr": "tr",
}

OTHER_LANGUAGE_PASSAGES: dict[str, tuple[str, ...]] = {
    "fr": (
        "Le marché ouvre tôt le samedi matin. Les paysans arrivent avant le lever du soleil et installent "
        "leurs tables sous les vieilles arcades de pierre. Il y a des paniers de pommes, de poires et de "
        "prunes, et des bouquets d'herbes fraîches. Un boulanger vend du pain chaud à l'arrière d'une petite "
        "camionnette bleue. La plupart des gens viennent avec leurs propres sacs et marchent lentement d'un "
        "étal à l'autre. À midi, les tables sont presque vides. L'après-midi, la place redevient calme, et "
        "seuls les pigeons cherchent encore des miettes entre les pavés.",
        "Notre équipe s'est réunie lundi pour préparer le budget de l'année prochaine. Le loyer du bureau "
        "reste la dépense la plus importante. Nous avons décidé de déplacer les serveurs dans un centre de "
        "données partagé, parce que les vieilles machines consomment trop d'électricité. La formation des "
        "nouveaux employés coûtera un peu plus cher qu'avant. Plusieurs collègues ont demandé des chaises "
        "plus confortables et des salles plus calmes. Chacun doit envoyer ses chiffres avant la fin du mois.",
    ),
    "de": (
        "Der Markt öffnet am Samstag früh am Morgen. Die Bauern kommen vor Sonnenaufgang und stellen ihre "
        "Tische unter die alten Steinbögen. Es gibt Körbe mit Äpfeln, Birnen und Pflaumen und Bündel frischer "
        "Kräuter. Ein Bäcker verkauft warmes Brot aus einem kleinen blauen Lieferwagen. Die meisten Leute "
        "bringen ihre eigenen Taschen mit und gehen langsam von Stand zu Stand. Gegen Mittag sind die Tische "
        "fast leer. Am Nachmittag ist der Platz wieder ruhig, und nur die Tauben suchen noch nach Krümeln.",
        "Unser Team hat sich am Montag getroffen, um das Budget für das nächste Jahr zu planen. Die Miete für "
        "das Büro ist immer noch der größte Posten. Wir haben beschlossen, die Server in ein gemeinsames "
        "Rechenzentrum zu verlegen, weil die alten Maschinen zu viel Strom verbrauchen. Die Schulung neuer "
        "Mitarbeiter wird etwas teurer. Mehrere Kollegen wünschen sich bessere Stühle und ruhigere Räume. "
        "Alle schicken ihre Zahlen bis zum Ende des Monats.",
    ),
    "es": (
        "El mercado abre temprano el sábado por la mañana. Los agricultores llegan antes del amanecer y "
        "colocan sus mesas bajo los viejos arcos de piedra. Hay cestas de manzanas, peras y ciruelas, y "
        "manojos de hierbas frescas. Un panadero vende pan caliente desde una pequeña furgoneta azul. La "
        "mayoría de la gente trae sus propias bolsas y camina despacio de un puesto a otro. Al mediodía las "
        "mesas están casi vacías. Por la tarde la plaza vuelve a estar tranquila, y solo las palomas buscan "
        "migas entre las piedras.",
        "Nuestro equipo se reunió el lunes para preparar el presupuesto del año que viene. El alquiler de la "
        "oficina sigue siendo el gasto más grande. Decidimos trasladar los servidores a un centro de datos "
        "compartido, porque las máquinas viejas gastan demasiada electricidad. La formación del personal "
        "nuevo costará un poco más que antes. Varios compañeros pidieron sillas mejores y salas más "
        "tranquilas. Todos enviarán sus cifras antes de que termine el mes.",
    ),
    "it": (
        "Il mercato apre presto il sabato mattina. I contadini arrivano prima dell'alba e sistemano i loro "
        "banchi sotto i vecchi archi di pietra. Ci sono cesti di mele, pere e prugne, e mazzi di erbe "
        "fresche. Un fornaio vende pane caldo dal retro di un piccolo furgone blu. Quasi tutti arrivano con "
        "le proprie borse e camminano piano da un banco all'altro. A mezzogiorno i banchi sono quasi vuoti. "
        "Nel pomeriggio la piazza torna tranquilla, e restano solo i piccioni a cercare briciole tra le pietre.",
        "La nostra squadra si è riunita lunedì per preparare il bilancio del prossimo anno. L'affitto "
        "dell'ufficio resta la spesa più grande. Abbiamo deciso di spostare i server in un centro dati "
        "condiviso, perché le vecchie macchine consumano troppa corrente. La formazione dei nuovi colleghi "
        "costerà un po' di più. Molti hanno chiesto sedie migliori e stanze più silenziose. Tutti manderanno "
        "i loro numeri entro la fine del mese.",
    ),
    "pt": (
        "O mercado abre cedo no sábado de manhã. Os agricultores chegam antes do nascer do sol e montam as "
        "suas bancas debaixo dos velhos arcos de pedra. Há cestos de maçãs, peras e ameixas, e molhos de "
        "ervas frescas. Um padeiro vende pão quente na traseira de uma pequena carrinha azul. A maior parte "
        "das pessoas traz os seus próprios sacos e anda devagar de banca em banca. Ao meio-dia as bancas "
        "estão quase vazias. À tarde a praça fica outra vez calma, e só os pombos procuram migalhas entre as "
        "pedras.",
        "A nossa equipa reuniu-se na segunda-feira para preparar o orçamento do próximo ano. A renda do "
        "escritório continua a ser a maior despesa. Decidimos mudar os servidores para um centro de dados "
        "partilhado, porque as máquinas antigas gastam demasiada eletricidade. A formação dos novos "
        "funcionários vai custar um pouco mais. Vários colegas pediram cadeiras melhores e salas mais "
        "sossegadas. Todos vão enviar os seus números até ao fim do mês.",
    ),
    "nl": (
        "De markt gaat op zaterdag vroeg in de ochtend open. De boeren komen voor zonsopgang en zetten hun "
        "tafels onder de oude stenen bogen. Er zijn manden met appels, peren en pruimen, en bossen verse "
        "kruiden. Een bakker verkoopt warm brood uit een klein blauw busje. De meeste mensen nemen hun eigen "
        "tassen mee en lopen langzaam van kraam naar kraam. Rond het middaguur zijn de tafels bijna leeg. In "
        "de middag is het plein weer stil, en alleen de duiven zoeken nog naar kruimels tussen de stenen.",
        "Ons team kwam maandag bijeen om de begroting voor volgend jaar te maken. De huur van het kantoor is "
        "nog steeds de grootste uitgave. We hebben besloten de servers naar een gedeeld datacentrum te "
        "verhuizen, omdat de oude machines te veel stroom gebruiken. De opleiding van nieuwe medewerkers "
        "wordt iets duurder. Een paar collega's vroegen om betere stoelen en rustigere kamers. Iedereen "
        "stuurt zijn cijfers voor het einde van de maand.",
    ),
    "pl": (
        "Targ otwiera się wcześnie w sobotę rano. Rolnicy przyjeżdżają przed wschodem słońca i ustawiają "
        "stoły pod starymi kamiennymi łukami. Są kosze jabłek, gruszek i śliwek, i pęczki świeżych ziół. "
        "Piekarz sprzedaje ciepły chleb z tyłu małej niebieskiej furgonetki. Większość ludzi przychodzi z "
        "własnymi torbami i powoli chodzi od stoiska do stoiska. W południe stoły są prawie puste. Po "
        "południu plac znowu jest cichy i tylko gołębie szukają okruchów między kamieniami.",
        "Nasz zespół spotkał się w poniedziałek, żeby zaplanować budżet na przyszły rok. Czynsz za biuro "
        "wciąż jest największym wydatkiem. Postanowiliśmy przenieść serwery do wspólnego centrum danych, bo "
        "stare maszyny zużywają za dużo prądu. Szkolenie nowych pracowników będzie trochę droższe. Kilka "
        "osób prosiło o lepsze krzesła i cichsze pokoje. Wszyscy wyślą swoje liczby do końca miesiąca.",
    ),
    "ru": (
        "Рынок открывается рано утром в субботу. Фермеры приезжают до восхода солнца и ставят свои столы "
        "под старыми каменными арками. Там есть корзины с яблоками, грушами и сливами, и пучки свежей "
        "зелени. Пекарь продаёт тёплый хлеб из маленького синего фургона. Большинство людей приходят со "
        "своими сумками и медленно ходят от прилавка к прилавку. К полудню столы почти пустые. После обеда "
        "площадь снова тихая, и только голуби ищут крошки между камнями.",
        "Наша команда встретилась в понедельник, чтобы составить бюджет на следующий год. Аренда офиса "
        "по-прежнему самая большая статья расходов. Мы решили перенести серверы в общий центр обработки "
        "данных, потому что старые машины потребляют слишком много электричества. Обучение новых "
        "сотрудников будет стоить немного дороже. Несколько коллег попросили удобные стулья и тихие "
        "комнаты. Все пришлют свои цифры до конца месяца.",
    ),
    "sv": (
        "Marknaden öppnar tidigt på lördagsmorgonen. Bönderna kommer före soluppgången och ställer upp sina "
        "bord under de gamla stenvalven. Det finns korgar med äpplen, päron och plommon, och knippen med "
        "färska örter. En bagare säljer varmt bröd från baksidan av en liten blå skåpbil. De flesta tar med "
        "sig egna kassar och går långsamt från stånd till stånd. Vid lunch är borden nästan tomma. På "
        "eftermiddagen är torget tyst igen, och bara duvorna letar efter smulor mellan stenarna.",
        "Vårt team träffades i måndags för att planera budgeten för nästa år. Hyran för kontoret är "
        "fortfarande den största kostnaden. Vi bestämde oss för att flytta servrarna till ett gemensamt "
        "datacenter, eftersom de gamla maskinerna drar för mycket ström. Utbildningen av nya medarbetare blir "
        "lite dyrare. Flera kollegor bad om bättre stolar och tystare rum. Alla skickar sina siffror före "
        "slutet av månaden.",
    ),
    "tr": (
        "Pazar yeri cumartesi sabahı erkenden açılır. Çiftçiler güneş doğmadan gelir ve masalarını eski taş "
        "kemerlerin altına kurar. Elma, armut ve erik dolu sepetler, demet demet taze otlar vardır. Bir "
        "fırıncı küçük mavi bir minibüsün arkasından sıcak ekmek satar. İnsanların çoğu kendi çantalarıyla "
        "gelir ve tezgahtan tezgaha yavaşça dolaşır. Öğleye doğru masalar neredeyse boşalır. Öğleden sonra "
        "meydan yine sessizdir ve yalnızca güvercinler taşların arasında kırıntı arar.",
        "Ekibimiz gelecek yılın bütçesini planlamak için pazartesi günü toplandı. Ofisin kirası hâlâ en büyük "
        "gider. Eski makineler çok fazla elektrik harcadığı için sunucuları ortak bir veri merkezine taşımaya "
        "karar verdik. Yeni çalışanların eğitimi biraz daha pahalı olacak. Birkaç arkadaşımız daha iyi "
        "sandalyeler ve daha sessiz odalar istedi. Herkes rakamlarını ay sonuna kadar gönderecek.",
    ),
}


def spoken_in(
    language: str,
    *,
    number: int = 0,
    words_per_minute: int = 150,
    background: Background = "none",
    snr_db: float = 10.0,
    seed: int = 0,
) -> SpokenPassage:
    """Passage `number` of `language` (an OTHER_LANGUAGES code), read by its espeak-ng voice."""
    return spoken_passage(
        OTHER_LANGUAGE_PASSAGES[language][number],
        voice=OTHER_LANGUAGES[language],
        words_per_minute=words_per_minute,
        background=background,
        snr_db=snr_db,
        seed=seed,
    )
