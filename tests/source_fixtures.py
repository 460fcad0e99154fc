"""Hand-written reader fixtures, written to a temporary folder at test time.

Each entry is a small invented table in the published column layout of one source (ACLED HDX and
current exports, UCDP GED, GTD, threatcast canonical) or a deliberately broken file. Some rows
describe widely reported events in their own words; none is copied from a dataset, and ids such as
``MLI1`` or ``200001`` are sequential test numbers that refer to no real record. Real exports are
only read from ``../shared/data`` by the real-data tests.
"""

from __future__ import annotations

from pathlib import Path

SOURCE_FIXTURES: dict[str, str] = {
    'acled_current.csv': (
        'event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp\n'
        'BFA9001,2023-03-14,2023,1,Political violence,Violence against civilians,Attack,JNIM: Group for Support of Islam and Muslims,,Rebel group,Civilians (Burkina Faso),,Civilians,Rebel group-Civilians,Civilian targeting,854,Western Africa,Burkina Faso,Boucle du Mouhoun,Sourou,Gassan,Gassan,12.8167,-3.2,1,Local source,Subnational,Militants killed villagers.,12,,1700000000\n'
        'BFA9002,2023-03-20,2023,2,Political violence,Battles,Armed clash,Military Forces of Burkina Faso (2022-),VDP: Volunteers for the Defense of the Homeland,State forces,Islamic State (Sahel),,Rebel group,State forces-Rebel group,,854,Western Africa,Burkina Faso,Sahel,Oudalan,Gorom-Gorom,Gorom-Gorom,14.4439,-0.2361,1,Local source,Subnational,Clash near Gorom-Gorom.,5,,1700000000\n'
        "BFA9003,2023-04-01,2023,1,Political violence,Explosions/Remote violence,Air/drone strike,Military Forces of Burkina Faso (2022-),,State forces,JNIM: Group for Support of Islam and Muslims,,Rebel group,State forces-Rebel group,,854,Western Africa,Burkina Faso,Est,Gourma,Fada N'Gourma,Fada,12.06,0.35,2,Local source,Subnational,Drone strike.,3,,1700000000\n"
        'NER9004,2023-05-02,2023,3,Political violence,Violence against civilians,Abduction/forced disappearance,Unidentified Armed Group (Niger),,Political militia,Civilians (Niger),,Civilians,Political militia-Civilians,Civilian targeting,562,Western Africa,,Tillaberi,Ouallam,Ouallam,Ouallam,14.32,2.08,1,Local source,Subnational,Herders abducted.,0,,1700000000\n'
    ),
    'acled_hdx.csv': (
        'data_id,event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,fatalities,notes,timestamp\n'
        '1001,MLI1,2012-04-01,2012,1,Strategic developments,Non-state actor overtakes territory,MNLA: National Movement for the Liberation of Azawad,,2,,,0,20,Mali,Tombouctou,Tombouctou,Tombouctou,Timbuktu,16.7735,-3.0074,1,0,"MNLA seized Timbuktu, ""the city of 333 saints"".",1582579225\n'
        '1002,MLI2,2013-01-28,2013,1,Strategic developments,Government regains territory,Military Forces of France,Military Forces of Mali (2002-2012),8,,,0,80,Mali,Tombouctou,Tombouctou,Tombouctou,Timbuktu,16.7735,-3.0074,1,0,French and Malian forces retook Timbuktu.,1582579225\n'
        '1003,MLI3,2013-02-08,2013,1,Explosions/Remote violence,Suicide bomb,MUJAO: Movement for Unity and Jihad in West Africa,,2,Military Forces of Mali (2013-),,1,12,Mali,Gao,Gao,Gao,Gao,16.2717,-0.0447,1,1,Suicide bomber blew himself up at a checkpoint.,1582579225\n'
        '1004,MLI4,2013-03-15,2013,2,Violence against civilians,Abduction/forced disappearance,AQIM: Al Qaeda in the Islamic Maghreb,,2,Civilians (France),,7,27,Mali,Kidal,Tessalit,Tessalit,Tessalit,20.2011,1.0111,2,0,A French national was kidnapped.,1582579225\n'
        "1005,MLI5,2014-05-17,2014,1,Battles,Armed clash,Military Forces of Mali (2013-),,1,MNLA: National Movement for the Liberation of Azawad,,2,12,Mali,Kidal,Kidal,Kidal,Kidal,18.4411,1.4078,1,36,Clashes in Kidal during the PM's visit.,1582579225\n"
        '1006,MLI6,2014-06-02,2014,3,Battles,Armed clash,Military Forces of Mali (2013-),,1,Military Forces of France,,8,18,Mali,Gao,Gao,Gao,Gao,16.2717,-0.0447,1,0,Friendly fire between state forces.,1582579225\n'
        '1007,MLI7,2015-01-05,2015,1,Protests,Peaceful protest,Protesters (Mali),,6,,,0,60,Mali,Bamako,Bamako,Bamako,Bamako,12.65,-8,1,0,Protest against MINUSMA.,1582579225\n'
        '1008,MLI8,2015-02-10,2015,1,Violence against civilians,Attack,Unidentified Armed Group (Mali),,3,Civilians (Mali),,7,37,Mali,Mopti,Douentza,Boni,Boni,15.0333,-2.2167,1,2,Armed men attacked a village.,1582579225\n'
        '1009,MLI9,2015-02-11,2015,1,Violence against civilians,Attack,Military Forces of Mali (2013-),,1,Civilians (Mali),,7,17,Mali,Mopti,Douentza,Boni,Boni,15.0333,-2.2167,1,1,Soldiers killed a civilian.,1582579225\n'
        '1010,MLI10,2015-13-40,2015,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Mali,Mopti,Mopti,Mopti,Mopti,14.4843,-4.1827,1,0,Bad date.,1582579225\n'
        '1011,MLI11,,2015,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Mali,Mopti,Mopti,Mopti,Mopti,14.4843,-4.1827,1,0,Missing date.,1582579225\n'
        '1012,MLI12,2016-01-01,2016,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Atlantis,Mopti,Mopti,Mopti,Mopti,14.4843,-4.1827,1,0,Unknown country.,1582579225\n'
        '1013,MLI13,2016-01-02,2016,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Mali,,,,Somewhere,14.4843,-4.1827,1,0,No admin1.,1582579225\n'
        '1014,MLI14,2016-01-03,2016,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Mali,Mopti,Mopti,Mopti,Mopti,14.48N,-4.1827,1,0,Bad latitude.,1582579225\n'
        '1015,MLI15,2016-01-04,2016,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Mali,Mopti,Mopti,Mopti,Mopti,14.4843,-204.1,1,0,Longitude out of range.,1582579225\n'
        '1016,MLI16,2016-01-05,2016,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Mali,Mopti,Mopti,Mopti,Mopti,14.4843,-4.1827,1,-2,Negative fatalities.,1582579225\n'
        '1017,MLI17,2016-01-06,2016,1,Violence against civilians,Teleportation,JNIM,,2,Civilians (Mali),,7,27,Mali,Mopti,Mopti,Mopti,Mopti,14.4843,-4.1827,1,0,Unknown sub-event type.,1582579225\n'
        '1018,MLI8,2016-01-07,2016,1,Violence against civilians,Attack,JNIM,,2,Civilians (Mali),,7,27,Mali,Mopti,Mopti,Mopti,Mopti,14.4843,-4.1827,1,0,Repeated id.,1582579225\n'
        '1019,MLI19,2016-01-08,2016,1,Explosions/Remote violence,Remote explosive/landmine/IED,JNIM,,2,Military Forces of Mali (2013-),,1,12,Mali,Ségou,Niono,Dogofry,Dogofry,14.6,-5.5,1,three,Fatalities not a number.,1582579225\n'
        '1020,MLI20,2016-01-09,2016,1,Explosions/Remote violence,Remote explosive/landmine/IED,JNIM,,2,Military Forces of Mali (2013-),,1,12,Mali,Ségou,Niono,Dogofry,Dogofry,,,1,3,IED with no coordinates.,1582579225\n'
    ),
    'acled_missing_columns.csv': (
        'event_id_cnty,event_date,event_type,sub_event_type,actor1,country,latitude,longitude\n'
        'MLI1,2012-04-01,Battles,Armed clash,MNLA,Mali,16.7,-3.0\n'
    ),
    'canonical_events.csv': (
        'event_id,source,date,date_precision,country,admin1,region_id,latitude,longitude,attack_type,perpetrator,target,fatalities,suicide\n'
        'demo:1,demo,2020-01-15,day,MLI,Tombouctou,MLI.tombouctou,16.77,-3.0,kidnapping,Synthetic group A,Civilians,0,False\n'
        'demo:2,demo,2020-02-01,month,MLI,Gao,MLI.gao,16.27,-0.04,suicide_attack,Synthetic group B,Military,4,True\n'
        'demo:3,demo,2020-03-03,day,Burkina Faso,Boucle du Mouhoun,,,,bombing,,,1,0\n'
        'demo:4,demo,2020-03-04,day,MLI,Kidal,MLI.kidal,18.44,1.41,riot,Synthetic group A,Civilians,0,False\n'
        'demo:5,demo,2020-03-05,fortnight,MLI,Kidal,MLI.kidal,18.44,1.41,bombing,Synthetic group A,Civilians,0,False\n'
        'demo:6,demo,2020-03-06,day,MLI,Kidal,MLI.kidal,18.44,1.41,bombing,Synthetic group A,Civilians,0,maybe\n'
    ),
    'gtd_start.csv': (
        'eventid,iyear,imonth,iday,approxdate,extended,country,country_txt,region,region_txt,provstate,city,latitude,longitude,specificity,success,suicide,attacktype1,attacktype1_txt,targtype1,targtype1_txt,gname,nkill,nwound\n'
        '201501010001,2015,1,1,,0,153,Pakistan,6,South Asia,Khyber Pakhtunkhwa,Peshawar,34.006,71.537,1,1,0,3,Bombing/Explosion,4,Military,Tehrik-i-Taliban Pakistan (TTP),2,5\n'
        '201502150002,2015,2,15,,0,95,Iraq,10,Middle East & North Africa,Nineveh,Mosul,36.335,43.118,1,1,1,3,Bombing/Explosion,3,Police,Islamic State of Iraq and the Levant (ISIL),9,20\n'
        '201503000003,2015,3,0,March 2015,0,160,Philippines,5,Southeast Asia,Sulu,Jolo,6.05,121.0,1,1,0,6,Hostage Taking (Kidnapping),14,Private Citizens & Property,Abu Sayyaf Group (ASG),,\n'
        '201500000004,2015,0,0,2015,0,92,Nigeria,11,Sub-Saharan Africa,Borno,Maiduguri,11.85,13.16,1,1,0,2,Armed Assault,14,Private Citizens & Property,Boko Haram,12.0,3.0\n'
        '201506010005,2015,6,1,,0,138,Mali,11,Sub-Saharan Africa,Unknown,Unknown,,,5,1,0,1,Assassination,2,Government (General),Unknown,1,0\n'
        '201506020006,2015,6,2,,0,138,Mali,11,Sub-Saharan Africa,Gao,Gao,16.27,-0.04,1,1,0,9,Vehicular Ramming,2,Government (General),Unknown,0,0\n'
        '201502310007,2015,2,31,,0,138,Mali,11,Sub-Saharan Africa,Kidal,Kidal,18.44,1.41,1,1,0,7,Facility/Infrastructure Attack,2,Government (General),MNLA,0,0\n'
        '201507010008,2015,7,1,,0,95,Iraq,10,Middle East & North Africa,Al Anbar,Ramadi,33.42,43.3,1,1,0,8,Unarmed Assault,3,Police,Unknown,,\n'
    ),
    'ucdp_ged.csv': (
        'id,relid,year,active_year,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,dyad_name,side_a_new_id,side_a,side_b_new_id,side_b,number_of_sources,source_headline,where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,priogrid_gid,country,country_id,iso3,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low\n'
        '200001,IRQ-2014-1-200001,2014,1,1,259,Iraq: Government,524,Government of Iraq - IS,116,Government of Iraq,234,IS,2,Mosul falls,1,Mosul city,,Nīnawá province,Al Mawşil district,36.335,43.118,,Iraq,645,IRQ,1,1,2014-06-10,2014-06-10,20,30,0,0,50,80,40\n'
        '200002,IRQ-2016-3-200002,2016,1,3,482,IS - Civilians,1003,IS - Civilians,234,IS,1,Civilians,1,Executions,2,Fallujah,,Al Anbar province,Al Fallujah district,33.35,43.78,,Iraq,645,IRQ,1,2,2016-02-03,2016-02-07,0,0,12,0,12,15,12\n'
        '200003,IRQ-2015-3-200003,2015,1,3,481,Government of Iraq - Civilians,948,Government of Iraq - Civilians,116,Government of Iraq,1,Civilians,1,Shooting,1,Baghdad,,Baghdad governorate,,33.34,44.4,,Iraq,645,IRQ,1,1,2015-05-01,2015-05-01,0,0,3,0,3,3,3\n'
        '200004,PHL-2017-1-200004,2017,1,1,300,Philippines: Mindanao,600,Government of Philippines - IS,145,Government of Philippines,234,IS,3,Marawi siege,1,Marawi,,Lanao del Sur province,Marawi city,8.0,124.29,,Philippines,840,PHL,1,4,2017-06-01,2017-06-30,5,40,2,0,47,60,45\n'
        '200005,NGA-2014-2-200005,2014,1,2,700,Fulani - Birom,800,Fulani - Birom,900,Fulani,901,Birom,1,Village clash,1,Jos,,Plateau STATE,,9.9,8.9,,Nigeria,475,NGA,1,5,2014-01-01,2014-12-31,1,2,0,0,3,3,3\n'
        "200006,NGA-2014-1-200006,2014,1,1,701,Nigeria: Boko Haram,801,Government of Nigeria - Jama'atu Ahlis Sunna Lidda'awati wal-Jihad,475,Government of Nigeria,902,Jama'atu Ahlis Sunna Lidda'awati wal-Jihad,1,Country-wide estimate,7,Nigeria,,,,9.0,8.0,,Nigeria,475,NGA,2,5,2014-01-01,2014-12-31,0,0,0,25,25,25,25\n"
        '200007,IRQ-2016-9-200007,2016,1,9,1,Unknown,1,Unknown,1,IS,1,Civilians,1,Odd code,1,Tikrit,,Salah ad Din province,,34.6,43.68,,Iraq,645,IRQ,1,1,2016-03-01,2016-03-01,0,0,1,0,1,1,1\n'
        '200008,IRQ-2016-3-200008,2016,1,3,482,IS - Civilians,1003,IS - Civilians,234,IS,1,Civilians,1,Bomb,1,Kirkuk,,Kirkuk province,,95.0,44.39,,Iraq,645,IRQ,1,1,2016-04-01,2016-04-01,0,0,4,0,4,4,4\n'
    ),
    'unknown_format.csv': (
        'name,price,quantity\n'
        'apple,1.2,3\n'
    ),
}
"""File name -> CSV text of every fixture."""


def write_source_fixtures(folder: Path) -> Path:
    """Write every fixture into ``folder`` (created if needed) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SOURCE_FIXTURES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
